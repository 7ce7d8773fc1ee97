/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HEARTH_ERROR:
 *
 * The error domain of every public Hearth API that reports a #GError.
 */
#define HEARTH_ERROR (hearth_error_quark ())

/**
 * HearthError:
 * @HEARTH_ERROR_FAILED: a failure no other code describes
 * @HEARTH_ERROR_INVALID_ARGUMENT: the caller passed a value outside the documented range
 * @HEARTH_ERROR_INVALID_DATA: data from a device, a file or the network failed validation
 * @HEARTH_ERROR_TOO_LARGE: input exceeded one of the documented size limits
 * @HEARTH_ERROR_TIMED_OUT: a deadline passed before the operation completed
 * @HEARTH_ERROR_NOT_TRUSTED: a peer's key is not pinned, or differs from the pinned one
 * @HEARTH_ERROR_LISTEN_FAILED: a server could not listen on its address or port
 * @HEARTH_ERROR_NOT_SUPPORTED: the operation is not available in this build or on this device
 *
 * Error codes in the %HEARTH_ERROR domain. New codes are appended so that the numbers of
 * existing codes never change.
 */
typedef enum
{
  HEARTH_ERROR_FAILED,
  HEARTH_ERROR_INVALID_ARGUMENT,
  HEARTH_ERROR_INVALID_DATA,
  HEARTH_ERROR_TOO_LARGE,
  HEARTH_ERROR_TIMED_OUT,
  HEARTH_ERROR_NOT_TRUSTED,
  HEARTH_ERROR_LISTEN_FAILED,
  HEARTH_ERROR_NOT_SUPPORTED,
} HearthError;

GQuark hearth_error_quark (void);

G_END_DECLS
