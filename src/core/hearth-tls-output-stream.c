/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-tls"

#include "hearth-tls-output-stream.h"

#include "hearth-tls-stream-private.h"

/* The writing side of a HearthTlsStream, pollable like its reading side (see
 * hearth-tls-input-stream.c). Every write is sent as TLS records at once, so flushing has
 * nothing to do. */
struct _HearthTlsOutputStream
{
  GOutputStream parent_instance;

  HearthTlsStream *owner; /* borrowed; see HearthTlsInputStream */
};

static void hearth_tls_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthTlsOutputStream, hearth_tls_output_stream,
                               G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      hearth_tls_output_stream_pollable_init))

static gboolean
owner_is_gone (HearthTlsOutputStream *self, GError **error)
{
  if (self->owner != NULL)
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The TLS connection is closed");
  return TRUE;
}

static gssize
hearth_tls_output_stream_write (GOutputStream *stream, const void *buffer, gsize count,
                                GCancellable *cancellable, GError **error)
{
  HearthTlsOutputStream *self = HEARTH_TLS_OUTPUT_STREAM (stream);

  if (owner_is_gone (self, error))
    return -1;
  return hearth_tls_stream_send (self->owner, buffer, count, TRUE, cancellable, error);
}

static gboolean
hearth_tls_output_stream_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE; /* see hearth_tls_input_stream_close() */
}

static gboolean
hearth_tls_output_stream_can_poll (GPollableOutputStream *pollable)
{
  return TRUE;
}

static gboolean
hearth_tls_output_stream_is_writable (GPollableOutputStream *pollable)
{
  HearthTlsOutputStream *self = HEARTH_TLS_OUTPUT_STREAM (pollable);

  return self->owner == NULL || hearth_tls_stream_is_ready (self->owner, G_IO_OUT);
}

static GSource *
hearth_tls_output_stream_create_source (GPollableOutputStream *pollable, GCancellable *cancellable)
{
  HearthTlsOutputStream *self = HEARTH_TLS_OUTPUT_STREAM (pollable);
  g_autoptr (GSource) ready = self->owner != NULL
                                  ? hearth_tls_stream_create_ready_source (self->owner, G_IO_OUT)
                                  : g_timeout_source_new (0);

  return g_pollable_source_new_full (pollable, ready, cancellable);
}

static gssize
hearth_tls_output_stream_write_nonblocking (GPollableOutputStream *pollable, const void *buffer,
                                            gsize count, GError **error)
{
  HearthTlsOutputStream *self = HEARTH_TLS_OUTPUT_STREAM (pollable);

  if (owner_is_gone (self, error))
    return -1;
  return hearth_tls_stream_send (self->owner, buffer, count, FALSE, NULL, error);
}

static void
hearth_tls_output_stream_class_init (HearthTlsOutputStreamClass *klass)
{
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  output_class->write_fn = hearth_tls_output_stream_write;
  output_class->close_fn = hearth_tls_output_stream_close;
}

static void
hearth_tls_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = hearth_tls_output_stream_can_poll;
  iface->is_writable = hearth_tls_output_stream_is_writable;
  iface->create_source = hearth_tls_output_stream_create_source;
  iface->write_nonblocking = hearth_tls_output_stream_write_nonblocking;
}

static void
hearth_tls_output_stream_init (HearthTlsOutputStream *self)
{
}

HearthTlsOutputStream *
hearth_tls_output_stream_new (HearthTlsStream *owner)
{
  HearthTlsOutputStream *self = g_object_new (HEARTH_TYPE_TLS_OUTPUT_STREAM, NULL);

  self->owner = owner;
  return self;
}

void
hearth_tls_output_stream_detach (HearthTlsOutputStream *self)
{
  g_return_if_fail (HEARTH_IS_TLS_OUTPUT_STREAM (self));
  self->owner = NULL;
}
