/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-atomic-file"

#include "hearth-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-error.h"

/* Every file that holds trust decisions or keys is replaced with this recipe: write a temporary
 * file in the same directory, fsync it, rename it over the target, then fsync the directory.
 * rename() is atomic on POSIX file systems, so a reader sees either the old or the new file, and
 * the two fsyncs make sure that after a power cut the new name points at complete data.
 *
 * g_file_set_contents() is not enough here: it fsyncs the new file only when it replaces an
 * existing non-empty one, and never fsyncs the directory, so after a power cut the rename itself
 * may be lost and an acknowledged decision (a pinned key, a block) silently reverts to its
 * previous state.
 *
 * Operating-system failures are reported in the G_IO_ERROR domain (mapped from errno) so that
 * callers can tell "disk full" from "permission denied"; every message names the path. */

static gboolean
set_error_from_errno (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Could not %s “%s”: %s",
               what, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int fd, const char *data, gsize length, const char *path, GError **error)
{
  while (length > 0)
    {
      ssize_t written = write (fd, data, length);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          return set_error_from_errno (error, errno, "write", path);
        }

      data += written;
      length -= (gsize)written;
    }

  return TRUE;
}

static gboolean
fsync_directory (const char *directory, GError **error)
{
  int fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return set_error_from_errno (error, errno, "open directory", directory);

  if (fsync (fd) != 0)
    {
      int saved_errno = errno;

      close (fd);
      return set_error_from_errno (error, saved_errno, "sync directory", directory);
    }

  close (fd);
  return TRUE;
}

/**
 * hearth_atomic_file_write:
 * @path: the file to replace
 * @contents: (array length=length): the new contents
 * @length: the number of bytes in @contents
 * @mode: the permission bits of the new file, e.g. 0600; applied exactly, whatever the umask
 * @error: return location for a #GError
 *
 * Replaces @path with @contents so that, even across a crash or power cut, the file holds
 * either its previous or its new contents and never a mixture. No temporary file is left behind
 * when this fails, except if the process is killed mid-way; such a leftover is named
 * `.<basename>.XXXXXX` and never read.
 *
 * Returns: %TRUE when the new contents are durable on disk
 */
gboolean
hearth_atomic_file_write (const char *path, const void *contents, gsize length, int mode,
                          GError **error)
{
  g_autofree char *directory = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *temp_path = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  directory = g_path_get_dirname (path);
  basename = g_path_get_basename (path);
  temp_path = g_strdup_printf ("%s/.%s.XXXXXX", directory, basename);

  fd = g_mkstemp_full (temp_path, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    return set_error_from_errno (error, errno, "create a temporary file for", path);

  /* The umask may have removed bits from @mode; callers ask for an exact mode. */
  if (fchmod (fd, (mode_t)mode) != 0)
    {
      set_error_from_errno (error, errno, "set the mode of", temp_path);
      goto fail;
    }

  if (!write_all (fd, contents, length, temp_path, error))
    goto fail;

  if (fsync (fd) != 0)
    {
      set_error_from_errno (error, errno, "sync", temp_path);
      goto fail;
    }

  /* close() can report a deferred write error (NFS, quotas): check it before the rename. */
  if (close (fd) != 0)
    {
      fd = -1;
      set_error_from_errno (error, errno, "close", temp_path);
      goto fail;
    }
  fd = -1;

  if (rename (temp_path, path) != 0)
    {
      set_error_from_errno (error, errno, "replace", path);
      goto fail;
    }

  /* From here on the temporary name no longer exists. If the directory sync fails, the new
   * contents are in place but may not survive a power cut, which the caller must hear about. */
  return fsync_directory (directory, error);

fail:
  if (fd >= 0)
    close (fd);
  g_unlink (temp_path);
  return FALSE;
}

/**
 * hearth_atomic_file_read:
 * @path: the file to read
 * @max_length: the largest file accepted; larger files fail with %HEARTH_ERROR_TOO_LARGE
 * @contents: (out) (transfer full): the contents, NUL-terminated
 * @length: (out) (optional): the number of bytes read
 * @error: return location for a #GError
 *
 * Reads a file written by hearth_atomic_file_write(), refusing files larger than @max_length so
 * that a damaged or hostile file cannot make the hub allocate without bound.
 *
 * Returns: %TRUE on success; a missing file fails with %G_IO_ERROR_NOT_FOUND
 */
gboolean
hearth_atomic_file_read (const char *path, gsize max_length, char **contents, gsize *length,
                         GError **error)
{
  g_autofree char *buffer = NULL;
  struct stat st;
  gsize used = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return set_error_from_errno (error, errno, "open", path);

  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      return set_error_from_errno (error, saved_errno, "inspect", path);
    }

  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "“%s” is not a regular file",
                   path);
      return FALSE;
    }

  if ((guint64)st.st_size > max_length)
    {
      close (fd);
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "“%s” is %" G_GUINT64_FORMAT " bytes, more than the limit of %" G_GSIZE_FORMAT,
                   path, (guint64)st.st_size, max_length);
      return FALSE;
    }

  /* One byte more than fstat() reported lets us notice a file that grew while being read. */
  buffer = g_malloc ((gsize)st.st_size + 2);
  for (;;)
    {
      gsize room = (gsize)st.st_size + 1 - used;
      ssize_t got;

      if (room == 0)
        break;
      got = read (fd, buffer + used, room);
      if (got < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          close (fd);
          return set_error_from_errno (error, saved_errno, "read", path);
        }
      if (got == 0)
        break;
      used += (gsize)got;
    }
  close (fd);

  /* Our writers replace files by rename, so an open file never changes; a size that differs
   * from fstat() means someone else is writing it in place. */
  if (used != (gsize)st.st_size)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "“%s” changed size while being read", path);
      return FALSE;
    }

  buffer[used] = '\0';
  if (length != NULL)
    *length = used;
  *contents = g_steal_pointer (&buffer);
  return TRUE;
}
