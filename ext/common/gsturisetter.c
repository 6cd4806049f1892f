/* gst-rtmpe: the part of GstURIHandler.set_uri the elements share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gsturisetter.h"

gboolean
gst_uri_setter_set (GstElement *element, gpointer settings,
    GstUriSetterFunc set_location, const gchar *uri, GError **error)
{
  GError *err = NULL;

  if (GST_STATE (element) >= GST_STATE_PAUSED) {
    GstElementFactory *f = gst_element_get_factory (element);

    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "Changing the location of a running %s is not supported",
        f ? gst_plugin_feature_get_name (f) : G_OBJECT_TYPE_NAME (element));
    return FALSE;
  }
  if (!set_location (settings, uri, &err)) {
    g_set_error_literal (
        error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, err->message);
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
}
