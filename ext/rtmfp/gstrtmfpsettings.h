/* gst-rtmfp: the properties rtmfpsrc and rtmfpsink share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMFP_SETTINGS_H__
#define __GST_RTMFP_SETTINGS_H__

#include <gst/gst.h>

#include "rtmpurl.h"

G_BEGIN_DECLS

typedef enum
{
  GST_RTMFP_MODE_CLIENT,
  GST_RTMFP_MODE_PEER,
  GST_RTMFP_MODE_LISTEN,
} GstRtmfpMode;

#define GST_TYPE_RTMFP_MODE (gst_rtmfp_mode_get_type ())
GType gst_rtmfp_mode_get_type (void);

/* The property ids; elements add their own after GST_RTMFP_PROP_LAST. */
enum
{
  GST_RTMFP_PROP_LOCATION = 1,
  GST_RTMFP_PROP_MODE,
  GST_RTMFP_PROP_STREAM,
  GST_RTMFP_PROP_PEER_ID,
  GST_RTMFP_PROP_FLASH_VERSION,
  GST_RTMFP_PROP_TIMEOUT,
  GST_RTMFP_PROP_MAX_SESSIONS,
  GST_RTMFP_PROP_MAX_FLOWS,
  GST_RTMFP_PROP_RECV_BUFFER,
  GST_RTMFP_PROP_STATS_INTERVAL,
  GST_RTMFP_PROP_STATS,
  GST_RTMFP_PROP_LAST
};

typedef struct
{
  GMutex lock;
  gboolean sink;
  gchar *location;
  RtmpUrl *url;
  GstRtmfpMode mode;
  gchar *stream;
  gchar *peer_id; /* src: the publisher to play from */
  gchar *flash_version;
  guint timeout;
  guint max_sessions;
  guint max_flows;
  guint recv_buffer;
  guint stats_interval;
} GstRtmfpSettings;

void gst_rtmfp_settings_init (GstRtmfpSettings *s, gboolean sink);
void gst_rtmfp_settings_clear (GstRtmfpSettings *s);
void gst_rtmfp_settings_install_properties (GObjectClass *klass, gboolean sink);
/* FALSE when @prop_id is not one the settings hold (peer-id of the sink
 * and stats are the element's). */
gboolean gst_rtmfp_settings_set_property (
    GstRtmfpSettings *s, GObject *object, guint prop_id, const GValue *value);
gboolean gst_rtmfp_settings_get_property (
    GstRtmfpSettings *s, guint prop_id, GValue *value);
gboolean gst_rtmfp_settings_set_location (
    GstRtmfpSettings *s, const gchar *location, GError **error);
gchar *gst_rtmfp_settings_get_location (GstRtmfpSettings *s);

/**
 * GstRtmfpTarget:
 * What the I/O thread needs, resolved from the settings at start.
 */
typedef struct
{
  GstRtmfpMode mode;
  gboolean sink;
  gchar *host; /* connect to, or listen on */
  guint16 port;
  gchar *app;
  gchar *stream; /* NULL: none (listen: accept any) */
  gchar *tc_url; /* connect's tcUrl, and the EPD naming the server */
  gchar *redacted;
  gboolean has_peer_id;
  guint8 peer_id[32];
  gchar *flash_version;
  guint timeout; /* s, 0: forever */
  guint max_sessions;
  guint max_flows;
  gsize recv_buffer;
  guint stats_interval; /* ms, 0: no messages */
  /* element specifics */
  guint64 media_lifetime; /* sink: us, 0: reliable */
  gsize max_queue; /* sink: bytes unacknowledged before send() waits */
} GstRtmfpTarget;

GstRtmfpTarget *gst_rtmfp_settings_make_target (
    GstRtmfpSettings *s, GError **error);
void gst_rtmfp_target_free (GstRtmfpTarget *t);

/* 64 hex digits -> 32 bytes */
gboolean gst_rtmfp_parse_peer_id (const gchar *hex, guint8 out[32]);
gchar *gst_rtmfp_peer_id_to_string (const guint8 id[32]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtmfpTarget, gst_rtmfp_target_free)

G_END_DECLS

#endif
