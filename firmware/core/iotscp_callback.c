/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Parsers of addresses and of the SUBSCRIBE CALLBACK header (protocol.md section 7.1): untrusted
 * text from the network, in a file of their own so that the fuzz target firmware-callback can
 * drive them without the rest of the device.
 */
#include "iotscp_internal.h"

#include <stddef.h>
#include <string.h>

#include "iotscp_text.h"

/* ---- Addresses ---- */

bool
iotscp_addr_parse_ipv4 (const char *text, uint8_t out[4])
{
  for (int part = 0; part < 4; part++)
    {
      unsigned value = 0;
      int digits = 0;
      while (*text >= '0' && *text <= '9')
        {
          if (digits > 0 && value == 0)
            return false; /* No leading zeros (they read as octal elsewhere). */
          value = value * 10 + (unsigned)(*text - '0');
          if (++digits > 3 || value > 255)
            return false;
          text++;
        }
      if (digits == 0)
        return false;
      out[part] = (uint8_t)value;
      if (part < 3 && *text++ != '.')
        return false;
    }
  return *text == '\0';
}

bool
iotscp_addr_parse_ipv6 (const char *text, uint8_t out[16])
{
  uint16_t groups[8];
  int count = 0, gap = -1;
  const char *p = text;

  if (p[0] == ':' && p[1] == ':')
    {
      gap = 0;
      p += 2;
    }
  while (*p != '\0')
    {
      unsigned value = 0;
      int digits = 0;
      if (count >= 8)
        return false;
      /* An embedded IPv4 address ends the text. */
      if (strchr (p, '.') != NULL && strchr (p, ':') == NULL)
        {
          uint8_t v4[4];
          if (count > 6 || !iotscp_addr_parse_ipv4 (p, v4))
            return false;
          groups[count++] = (uint16_t)(v4[0] << 8 | v4[1]);
          groups[count++] = (uint16_t)(v4[2] << 8 | v4[3]);
          break;
        }
      while (iotscp_text_hex_value (*p) >= 0)
        {
          value = value * 16 + (unsigned)iotscp_text_hex_value (*p++);
          if (++digits > 4)
            return false;
        }
      if (digits == 0)
        return false;
      groups[count++] = (uint16_t)value;
      if (*p == ':')
        {
          p++;
          if (*p == ':')
            {
              if (gap >= 0)
                return false;
              gap = count;
              p++;
            }
          else if (*p == '\0')
            return false;
        }
      else if (*p != '\0')
        return false;
    }
  if (gap < 0 && count != 8)
    return false;
  if (gap >= 0 && count > 7)
    return false;
  memset (out, 0, 16);
  {
    int tail = gap < 0 ? 0 : count - gap;
    int head = gap < 0 ? count : gap;
    for (int i = 0; i < head; i++)
      {
        out[2 * i] = (uint8_t)(groups[i] >> 8);
        out[2 * i + 1] = (uint8_t)groups[i];
      }
    for (int i = 0; i < tail; i++)
      {
        int at = 8 - tail + i;
        out[2 * at] = (uint8_t)(groups[head + i] >> 8);
        out[2 * at + 1] = (uint8_t)groups[head + i];
      }
  }
  return true;
}

/* ---- CALLBACK ---- */

/* Parses "<https://host:port/path>" (angle brackets optional). The host must be an IP
 * literal equal to the subscriber's address. */
bool
iotscp_subscription_parse_callback (const char *text, const iotscp_addr *subscriber,
                                    iotscp_subscription *sub, const char **why)
{
  char host[IOTSCP_HTTP_MAX_HOST + 1];
  size_t len = strlen (text);
  const char *p, *end, *host_end, *path;
  unsigned long port = 443;
  iotscp_addr addr;

  if (len >= 2 && text[0] == '<' && text[len - 1] == '>')
    {
      text++;
      len -= 2;
    }
  end = text + len;
  if (len < 8 || !iotscp_text_ascii_case_equal (text, 8, "https://"))
    {
      *why = "CALLBACK must be an https URL";
      return false;
    }
  p = text + 8;
  path = memchr (p, '/', (size_t)(end - p));
  if (path == NULL)
    path = end;
  memset (&addr, 0, sizeof addr);
  if (p < path && *p == '[')
    {
      host_end = memchr (p, ']', (size_t)(path - p));
      if (host_end == NULL || (size_t)(host_end - p - 1) >= sizeof host)
        {
          *why = "bad CALLBACK host";
          return false;
        }
      memcpy (host, p + 1, (size_t)(host_end - p - 1));
      host[host_end - p - 1] = '\0';
      addr.family = IOTSCP_AF_INET6;
      if (!iotscp_addr_parse_ipv6 (host, addr.bytes))
        {
          *why = "CALLBACK host must be the subscriber's IP address";
          return false;
        }
      host_end++;
    }
  else
    {
      host_end = memchr (p, ':', (size_t)(path - p));
      if (host_end == NULL)
        host_end = path;
      if ((size_t)(host_end - p) >= sizeof host)
        {
          *why = "bad CALLBACK host";
          return false;
        }
      memcpy (host, p, (size_t)(host_end - p));
      host[host_end - p] = '\0';
      addr.family = IOTSCP_AF_INET;
      if (!iotscp_addr_parse_ipv4 (host, addr.bytes))
        {
          *why = "CALLBACK host must be the subscriber's IP address";
          return false;
        }
    }
  if (host_end < path)
    {
      uint64_t v;
      if (*host_end != ':'
          || iotscp_text_parse_uint (host_end + 1, (size_t)(path - host_end - 1), 65535, &v) < 0
          || v == 0)
        {
          *why = "bad CALLBACK port";
          return false;
        }
      port = (unsigned long)v;
    }
  if (addr.family != subscriber->family
      || memcmp (addr.bytes, subscriber->bytes, addr.family == IOTSCP_AF_INET ? 4 : 16) != 0)
    {
      *why = "CALLBACK host must be the subscriber's IP address";
      return false;
    }
  addr.port = (uint16_t)port;
  addr.scope_id = subscriber->scope_id;
  if ((size_t)(path - p) > IOTSCP_HTTP_MAX_HOST || (size_t)(end - path) > IOTSCP_HTTP_MAX_CALLBACK)
    {
      *why = "CALLBACK too long";
      return false;
    }
  /* The path goes verbatim into the NOTIFY request line: only visible ASCII. */
  for (const char *c = path; c < end; c++)
    if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '#')
      {
        *why = "bad CALLBACK path";
        return false;
      }
  sub->callback_addr = addr;
  memcpy (sub->callback_host, p, (size_t)(path - p));
  sub->callback_host[path - p] = '\0';
  if (path == end)
    strcpy (sub->callback_path, "/");
  else
    {
      memcpy (sub->callback_path, path, (size_t)(end - path));
      sub->callback_path[end - path] = '\0';
    }
  return true;
}
