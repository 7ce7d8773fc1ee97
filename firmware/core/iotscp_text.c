/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "iotscp_text.h"

#include <string.h>

size_t
iotscp_utf8_decode (const uint8_t *s, size_t len, uint32_t *code_point)
{
  if (len == 0)
    return 0;
  uint8_t b = s[0];
  if (b < 0x80)
    {
      *code_point = b;
      return 1;
    }
  size_t n;
  uint32_t cp, min;
  if (b >= 0xc2 && b <= 0xdf)
    n = 2, cp = b & 0x1f, min = 0x80;
  else if (b >= 0xe0 && b <= 0xef)
    n = 3, cp = b & 0x0f, min = 0x800;
  else if (b >= 0xf0 && b <= 0xf4)
    n = 4, cp = b & 0x07, min = 0x10000;
  else
    return 0; /* continuation byte, 0xc0/0xc1 (always overlong) or 0xf5+ */
  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  *code_point = cp;
  return n;
}

size_t
iotscp_utf8_encode (uint32_t cp, uint8_t out[4])
{
  if (cp < 0x80)
    {
      out[0] = (uint8_t)cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (uint8_t)(0xc0 | (cp >> 6));
      out[1] = (uint8_t)(0x80 | (cp & 0x3f));
      return 2;
    }
  if (cp >= 0xd800 && cp <= 0xdfff)
    return 0;
  if (cp < 0x10000)
    {
      out[0] = (uint8_t)(0xe0 | (cp >> 12));
      out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
      out[2] = (uint8_t)(0x80 | (cp & 0x3f));
      return 3;
    }
  if (cp > 0x10ffff)
    return 0;
  out[0] = (uint8_t)(0xf0 | (cp >> 18));
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}

bool
iotscp_text_utf8_valid (const void *data, size_t len)
{
  const uint8_t *s = data;
  size_t i = 0;
  while (i < len)
    {
      uint32_t cp;
      size_t n = iotscp_utf8_decode (s + i, len - i, &cp);
      if (n == 0)
        return false;
      i += n;
    }
  return true;
}

int
iotscp_text_hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int
iotscp_text_percent_decode (const char *in, size_t in_len, char *out, size_t cap, size_t *out_len)
{
  size_t n = 0;
  for (size_t i = 0; i < in_len; i++)
    {
      int c = (unsigned char)in[i];
      if (c == '%')
        {
          if (in_len - i < 3)
            return -1;
          int hi = iotscp_text_hex_value (in[i + 1]), lo = iotscp_text_hex_value (in[i + 2]);
          if (hi < 0 || lo < 0)
            return -1;
          c = hi * 16 + lo;
          if (c == 0)
            return -1;
          i += 2;
        }
      if (n + 1 >= cap)
        return -1;
      out[n++] = (char)c;
    }
  if (cap == 0)
    return -1;
  out[n] = '\0';
  if (!iotscp_text_utf8_valid (out, n))
    return -1;
  if (out_len)
    *out_len = n;
  return 0;
}

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

size_t
iotscp_text_percent_encode (const char *in, size_t in_len, char *out, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < in_len; i++)
    {
      unsigned char c = (unsigned char)in[i];
      bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_' || c == '~';
      size_t need = unreserved ? 1 : 3;
      if (n + need >= cap)
        return (size_t)-1;
      if (unreserved)
        out[n++] = (char)c;
      else
        {
          out[n++] = '%';
          out[n++] = hex_upper[c >> 4];
          out[n++] = hex_upper[c & 15];
        }
    }
  if (cap == 0)
    return (size_t)-1;
  out[n] = '\0';
  return n;
}

size_t
iotscp_text_cut_utf8 (const char *s, size_t max_bytes)
{
  size_t len = strlen (s), i = 0;
  while (i < len)
    {
      uint32_t cp;
      size_t n = iotscp_utf8_decode ((const uint8_t *)s + i, len - i, &cp);
      if (n == 0 || i + n > max_bytes)
        break;
      i += n;
    }
  return i;
}

size_t
iotscp_text_hex_encode (const uint8_t *in, size_t in_len, char *out, size_t cap)
{
  if (in_len > (SIZE_MAX - 1) / 2 || cap < in_len * 2 + 1)
    return 0;
  for (size_t i = 0; i < in_len; i++)
    {
      out[2 * i] = hex_lower[in[i] >> 4];
      out[2 * i + 1] = hex_lower[in[i] & 15];
    }
  out[in_len * 2] = '\0';
  return in_len * 2;
}

int
iotscp_text_hex_decode (const char *in, size_t in_len, uint8_t *out, size_t cap)
{
  if (in_len % 2 != 0 || in_len / 2 > cap || in_len / 2 > INT32_MAX)
    return -1;
  for (size_t i = 0; i < in_len; i += 2)
    {
      int hi = iotscp_text_hex_value (in[i]), lo = iotscp_text_hex_value (in[i + 1]);
      if (hi < 0 || lo < 0)
        return -1;
      out[i / 2] = (uint8_t)(hi * 16 + lo);
    }
  return (int)(in_len / 2);
}

bool
iotscp_text_is_lower_hex (const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

bool
iotscp_text_equal_ct (const void *a, const void *b, size_t len)
{
  /* volatile keeps the compiler from turning the loop into an early exit. */
  const volatile uint8_t *x = a, *y = b;
  uint8_t diff = 0;
  for (size_t i = 0; i < len; i++)
    diff |= (uint8_t)(x[i] ^ y[i]);
  return diff == 0;
}

static char
ascii_lower (char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool
iotscp_text_ascii_case_equal (const char *a, size_t len, const char *b)
{
  for (size_t i = 0; i < len; i++)
    if (b[i] == '\0' || ascii_lower (a[i]) != ascii_lower (b[i]))
      return false;
  return b[len] == '\0';
}

int
iotscp_text_parse_uint (const char *s, size_t len, uint64_t max, uint64_t *out)
{
  if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      unsigned d = (unsigned)(s[i] - '0');
      if (v > (UINT64_MAX - d) / 10)
        return -1;
      v = v * 10 + d;
    }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

bool
iotscp_text_is_device_id (const char *s, size_t len)
{
  if (len == 0 || len > IOTSCP_DEVICE_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
      return false;
  return true;
}

size_t
iotscp_text_window_copy (char *buf, size_t cap, size_t skip, size_t pos, const char *s, size_t n)
{
  size_t start = pos > skip ? pos : skip;
  size_t end = pos + n;
  if (end > skip + cap)
    end = skip + cap;
  if (start < end)
    memcpy (buf + (start - skip), s + (start - pos), end - start);
  return pos + n;
}
