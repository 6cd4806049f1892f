/* gst-rtmpe: the properties rtmpesrc and rtmpesink share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One settings object behind both elements (as GStreamer's srt elements
 * share GstSRTObject): the location and its parts, the connect command's
 * members, TLS, timeouts, reconnection and listen-mode limits, installed as
 * properties on either element class and read under one lock.
 */
#ifndef __GST_RTMPE_SETTINGS_H__
#define __GST_RTMPE_SETTINGS_H__

#include <gst/gst.h>
#include <gio/gio.h>

#include "rtmpurl.h"

G_BEGIN_DECLS

typedef enum
{
  GST_RTMPE_MODE_CLIENT,
  GST_RTMPE_MODE_LISTEN,
} GstRtmpeMode;

#define GST_TYPE_RTMPE_MODE (gst_rtmpe_mode_get_type ())
GType gst_rtmpe_mode_get_type (void);

/* The handshake an rtmpe:// client asks for (its C0 byte). */
typedef enum
{
  GST_RTMPE_TYPE_06 = 6,
  GST_RTMPE_TYPE_08 = 8,
  GST_RTMPE_TYPE_09 = 9,
} GstRtmpeType;

#define GST_TYPE_RTMPE_TYPE (gst_rtmpe_type_get_type ())
GType gst_rtmpe_type_get_type (void);

/* What a listener accepts. */
typedef enum
{
  GST_RTMPE_ENCRYPTION_ANY, /* plain RTMP and RTMPE */
  GST_RTMPE_ENCRYPTION_REQUIRED, /* RTMPE only (or TLS for rtmps) */
  GST_RTMPE_ENCRYPTION_NONE, /* plain RTMP only */
} GstRtmpeEncryption;

#define GST_TYPE_RTMPE_ENCRYPTION (gst_rtmpe_encryption_get_type ())
GType gst_rtmpe_encryption_get_type (void);

typedef enum
{
  GST_RTMPE_ELEMENT_SRC,
  GST_RTMPE_ELEMENT_SINK,
} GstRtmpeElementKind;

/* The property ids; each element offsets them by its own first id. */
enum
{
  GST_RTMPE_PROP_LOCATION = 1,
  GST_RTMPE_PROP_MODE,
  GST_RTMPE_PROP_HOST,
  GST_RTMPE_PROP_PORT,
  GST_RTMPE_PROP_APPLICATION,
  GST_RTMPE_PROP_STREAM,
  GST_RTMPE_PROP_USERNAME,
  GST_RTMPE_PROP_PASSWORD,
  GST_RTMPE_PROP_TC_URL,
  GST_RTMPE_PROP_PAGE_URL,
  GST_RTMPE_PROP_SWF_URL,
  GST_RTMPE_PROP_FLASH_VERSION,
  GST_RTMPE_PROP_EXTRA_CONNECT_ARGS,
  GST_RTMPE_PROP_TIMEOUT,
  GST_RTMPE_PROP_IDLE_TIMEOUT,
  GST_RTMPE_PROP_TLS_VALIDATION_FLAGS,
  GST_RTMPE_PROP_TLS_CA_FILE,
  GST_RTMPE_PROP_TLS_CERTIFICATE_FILE,
  GST_RTMPE_PROP_TLS_KEY_FILE,
  GST_RTMPE_PROP_RTMPE_TYPE,
  GST_RTMPE_PROP_ENCRYPTION,
  GST_RTMPE_PROP_AUTO_RECONNECT,
  GST_RTMPE_PROP_RECONNECT_DELAY,
  GST_RTMPE_PROP_MAX_RECONNECT_DELAY,
  GST_RTMPE_PROP_MAX_RECONNECTS,
  GST_RTMPE_PROP_MAX_CONNECTIONS,
  GST_RTMPE_PROP_STATS,
  GST_RTMPE_PROP_LAST
};

typedef struct
{
  GMutex lock;
  GstRtmpeElementKind kind;

  /* the location as set, and the URL it parsed to (NULL: none yet) */
  gchar *location;
  RtmpUrl *url;
  GstRtmpeMode mode;
  /* overrides of the URL's parts (NULL / 0: from the URL) */
  gchar *host;
  guint port;
  gchar *application;
  gchar *stream;
  gchar *username;
  gchar *password;
  gchar *tc_url;
  gchar *page_url;
  gchar *swf_url;
  gchar *flash_version;
  gchar *extra_connect_args;
  guint timeout;
  guint idle_timeout;
  GTlsCertificateFlags tls_validation_flags;
  gchar *tls_ca_file;
  gchar *tls_certificate_file;
  gchar *tls_key_file;
  GstRtmpeType rtmpe_type;
  GstRtmpeEncryption encryption;
  gboolean auto_reconnect;
  guint reconnect_delay;
  guint max_reconnect_delay;
  gint max_reconnects;
  guint max_connections;
} GstRtmpeSettings;

void gst_rtmpe_settings_init (GstRtmpeSettings *s, GstRtmpeElementKind kind);
void gst_rtmpe_settings_clear (GstRtmpeSettings *s);

/* Installs the shared properties, ids GST_RTMPE_PROP_* + @offset - 1.
 * Stats are installed but read by the element itself. */
void gst_rtmpe_settings_install_properties (
    GObjectClass *klass, guint offset, GstRtmpeElementKind kind);
/* TRUE when @prop_id (without offset) is one of ours and was handled. */
gboolean gst_rtmpe_settings_set_property (GstRtmpeSettings *s, GObject *object,
    guint prop_id, const GValue *value, GParamSpec *pspec);
gboolean gst_rtmpe_settings_get_property (
    GstRtmpeSettings *s, guint prop_id, GValue *value, GParamSpec *pspec);

/* Sets the location; FALSE and a GError (RTMP_ERROR_BAD_URL, naming the
 * bad part) when it is not an rtmp, rtmpe or rtmps URL. NULL clears it. */
gboolean gst_rtmpe_settings_set_location (
    GstRtmpeSettings *s, const gchar *location, GError **error);
/* The location, with the parts overridden by properties applied. */
gchar *gst_rtmpe_settings_get_location (GstRtmpeSettings *s);

/**
 * GstRtmpeTarget:
 * Everything needed to connect or listen, resolved from the settings at
 * start: a snapshot the I/O thread owns.
 */
typedef struct
{
  GstRtmpeMode mode;
  RtmpScheme scheme;
  gchar *host;
  guint16 port;
  gchar *app;
  gchar *stream; /* NULL: none (listen: accept any) */
  gchar *tc_url;
  gchar *page_url;
  gchar *swf_url;
  gchar *flash_version;
  GPtrArray *connect_args; /* AmfValue */
  gchar *redacted; /* the location for logs and messages */
  guint timeout;
  guint idle_timeout;
  gboolean tls_verify;
  GTlsCertificateFlags tls_validation_flags;
  gchar *tls_ca_file;
  gchar *tls_certificate_file;
  gchar *tls_key_file;
  guint8 rtmpe_type;
  GstRtmpeEncryption encryption;
  gboolean auto_reconnect;
  guint reconnect_delay;
  guint max_reconnect_delay;
  gint max_reconnects;
  guint max_connections;
} GstRtmpeTarget;

/* NULL and a GError naming what is missing or wrong. */
GstRtmpeTarget *gst_rtmpe_settings_make_target (
    GstRtmpeSettings *s, GError **error);
void gst_rtmpe_target_free (GstRtmpeTarget *t);

/* Parses librtmp-style connect arguments ("S:text N:1.5 B:1 Z: O:1
 * NS:name:text O:0", space-separated; values with spaces in double quotes)
 * into AMF values appended to @args. */
gboolean gst_rtmpe_parse_connect_args (
    const gchar *text, GPtrArray *args, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtmpeTarget, gst_rtmpe_target_free)

G_END_DECLS

#endif
