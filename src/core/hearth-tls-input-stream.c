/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-tls"

#include "hearth-tls-input-stream.h"

#include "hearth-tls-stream-private.h"

/* The reading side of a HearthTlsStream. It is pollable because libsoup's server reads only
 * through GPollableInputStream: it waits for a source, then reads without blocking. */
struct _HearthTlsInputStream
{
  GInputStream parent_instance;

  /* Borrowed: the stream owns this object and detaches it when it is disposed; libsoup may
   * hold this object longer, and then reads fail as closed. */
  HearthTlsStream *owner;
};

static void hearth_tls_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthTlsInputStream, hearth_tls_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      hearth_tls_input_stream_pollable_init))

static gboolean
owner_is_gone (HearthTlsInputStream *self, GError **error)
{
  if (self->owner != NULL)
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The TLS connection is closed");
  return TRUE;
}

static gssize
hearth_tls_input_stream_read (GInputStream *stream, void *buffer, gsize count,
                              GCancellable *cancellable, GError **error)
{
  HearthTlsInputStream *self = HEARTH_TLS_INPUT_STREAM (stream);

  if (owner_is_gone (self, error))
    return -1;
  return hearth_tls_stream_receive (self->owner, buffer, count, TRUE, cancellable, error);
}

/* Closing one side does nothing by itself: the TLS session ends when the whole stream is
 * closed (GIOStream closes both sides then). */
static gboolean
hearth_tls_input_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static gboolean
hearth_tls_input_stream_can_poll (GPollableInputStream *pollable)
{
  return TRUE;
}

static gboolean
hearth_tls_input_stream_is_readable (GPollableInputStream *pollable)
{
  HearthTlsInputStream *self = HEARTH_TLS_INPUT_STREAM (pollable);

  /* Without its stream a read fails at once, which counts as readable. */
  return self->owner == NULL || hearth_tls_stream_is_ready (self->owner, G_IO_IN);
}

static GSource *
hearth_tls_input_stream_create_source (GPollableInputStream *pollable, GCancellable *cancellable)
{
  HearthTlsInputStream *self = HEARTH_TLS_INPUT_STREAM (pollable);
  g_autoptr (GSource) ready = self->owner != NULL
                                  ? hearth_tls_stream_create_ready_source (self->owner, G_IO_IN)
                                  : g_timeout_source_new (0);

  return g_pollable_source_new_full (pollable, ready, cancellable);
}

static gssize
hearth_tls_input_stream_read_nonblocking (GPollableInputStream *pollable, void *buffer, gsize count,
                                          GError **error)
{
  HearthTlsInputStream *self = HEARTH_TLS_INPUT_STREAM (pollable);

  if (owner_is_gone (self, error))
    return -1;
  return hearth_tls_stream_receive (self->owner, buffer, count, FALSE, NULL, error);
}

static void
hearth_tls_input_stream_class_init (HearthTlsInputStreamClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  input_class->read_fn = hearth_tls_input_stream_read;
  input_class->close_fn = hearth_tls_input_stream_close;
}

static void
hearth_tls_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = hearth_tls_input_stream_can_poll;
  iface->is_readable = hearth_tls_input_stream_is_readable;
  iface->create_source = hearth_tls_input_stream_create_source;
  iface->read_nonblocking = hearth_tls_input_stream_read_nonblocking;
}

static void
hearth_tls_input_stream_init (HearthTlsInputStream *self)
{
}

HearthTlsInputStream *
hearth_tls_input_stream_new (HearthTlsStream *owner)
{
  HearthTlsInputStream *self = g_object_new (HEARTH_TYPE_TLS_INPUT_STREAM, NULL);

  self->owner = owner;
  return self;
}

void
hearth_tls_input_stream_detach (HearthTlsInputStream *self)
{
  g_return_if_fail (HEARTH_IS_TLS_INPUT_STREAM (self));
  self->owner = NULL;
}
