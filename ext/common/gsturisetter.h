/* gst-rtmpe: the part of GstURIHandler.set_uri the elements share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_URI_SETTER_H__
#define __GST_URI_SETTER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Sets @settings' location from @uri with @set_location, for an element's
 * GstURIHandler.set_uri: refused (GST_URI_ERROR_BAD_STATE) once @element is
 * PAUSED or PLAYING, and a location @set_location rejects is
 * GST_URI_ERROR_BAD_URI with its message. */
typedef gboolean (*GstUriSetterFunc) (
    gpointer settings, const gchar *uri, GError **error);

gboolean gst_uri_setter_set (GstElement *element, gpointer settings,
    GstUriSetterFunc set_location, const gchar *uri, GError **error);

G_END_DECLS

#endif
