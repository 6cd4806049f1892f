/* gst-rtmpe: the core's error domain
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_ERROR_H__
#define __RTMP_ERROR_H__

#include <glib.h>

G_BEGIN_DECLS

#define RTMP_ERROR (rtmp_error_quark ())
GQuark rtmp_error_quark (void);

/**
 * RtmpError:
 * @RTMP_ERROR_TRUNCATED: the input ended inside a field or value
 * @RTMP_ERROR_TOO_LARGE: a length or count from the wire exceeds a cap
 * @RTMP_ERROR_TOO_DEEP: values are nested deeper than the cap
 * @RTMP_ERROR_BAD_REFERENCE: a reference index points outside its table
 * @RTMP_ERROR_UNKNOWN_TYPE: an unknown type marker or message type
 * @RTMP_ERROR_UNSUPPORTED: a known construct that we refuse (e.g. AMF3
 *   externalizable objects)
 * @RTMP_ERROR_INVALID: any other malformed input
 * @RTMP_ERROR_PROTOCOL: the peer broke the protocol's state rules
 * @RTMP_ERROR_HANDSHAKE: the handshake failed (bad version, bad digest,
 *   refused type)
 * @RTMP_ERROR_CRYPTO: a key or cryptographic check failed
 * @RTMP_ERROR_BAD_URL: a URL could not be used; the message names the part
 */
typedef enum
{
  RTMP_ERROR_TRUNCATED,
  RTMP_ERROR_TOO_LARGE,
  RTMP_ERROR_TOO_DEEP,
  RTMP_ERROR_BAD_REFERENCE,
  RTMP_ERROR_UNKNOWN_TYPE,
  RTMP_ERROR_UNSUPPORTED,
  RTMP_ERROR_INVALID,
  RTMP_ERROR_PROTOCOL,
  RTMP_ERROR_HANDSHAKE,
  RTMP_ERROR_CRYPTO,
  RTMP_ERROR_BAD_URL,
} RtmpError;

G_END_DECLS

#endif
