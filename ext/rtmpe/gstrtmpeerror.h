/* gst-rtmpe: turning what went wrong into errors a user understands
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMPE_ERROR_H__
#define __GST_RTMPE_ERROR_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Posts an error message on @element for @error: the domain and code a
 * GStreamer application expects (RESOURCE NOT_FOUND for DNS and missing
 * streams, NOT_AUTHORIZED for certificates and refusals, OPEN_READ or
 * OPEN_WRITE for connections, BUSY for a stream name in use, STREAM DECODE
 * for malformed data), a sentence for the user, and the details (the
 * server's own onStatus @code and the cause) in the debug part. @writing:
 * the element publishes (OPEN_WRITE, WRITE) rather than plays. */
void gst_rtmpe_post_error (GstElement *element, const GError *error,
    const gchar *code, const gchar *location, gboolean writing);

G_END_DECLS

#endif
