/* gst-rtmpe: RTMP commands and data messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "rtmpcommand.h"
#include "rtmperror.h"

GST_DEBUG_CATEGORY_STATIC (command_debug);
#define GST_CAT_DEFAULT command_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (
        command_debug, "rtmpe-command", 0, "RTMP commands and data messages");
    g_once_init_leave (&done, 1);
  }
}

/* ---- the command ---- */

/* A peer's command name, fit for a log line: escaped, at most 64 bytes of
 * it. Free with g_free(). */
static gchar *
printable_name (const gchar *name)
{
  gchar *cut = g_strndup (name, 64);
  gchar *escaped = g_strescape (cut, NULL);

  if (strlen (name) > 64) {
    gchar *more = g_strconcat (escaped, "...", NULL);

    g_free (escaped);
    escaped = more;
  }
  g_free (cut);
  return escaped;
}

static RtmpCommand *
command_alloc (const gchar *name)
{
  RtmpCommand *cmd;

  debug_init ();
  cmd = g_new0 (RtmpCommand, 1);
  cmd->name = g_strdup (name ? name : "");
  cmd->arguments =
      g_ptr_array_new_with_free_func ((GDestroyNotify) amf_value_free);
  return cmd;
}

RtmpCommand *
rtmp_command_new (
    const gchar *name, gdouble transaction_id, AmfValue *command_object)
{
  RtmpCommand *cmd = command_alloc (name);

  cmd->transaction_id = transaction_id;
  cmd->command_object = command_object ? command_object : amf_value_new_null ();
  return cmd;
}

RtmpCommand *
rtmp_command_new_data (const gchar *name)
{
  RtmpCommand *cmd = command_alloc (name);

  cmd->is_data = TRUE;
  return cmd;
}

void
rtmp_command_free (RtmpCommand *cmd)
{
  if (!cmd)
    return;
  g_free (cmd->name);
  amf_value_free (cmd->command_object);
  g_ptr_array_unref (cmd->arguments);
  g_free (cmd);
}

void
rtmp_command_add_argument (RtmpCommand *cmd, AmfValue *arg)
{
  g_return_if_fail (cmd != NULL && arg != NULL);
  g_ptr_array_add (cmd->arguments, arg);
}

const AmfValue *
rtmp_command_get_argument (const RtmpCommand *cmd, guint i)
{
  if (!cmd || i >= cmd->arguments->len)
    return NULL;
  return g_ptr_array_index (cmd->arguments, i);
}

gboolean
rtmp_command_equal (const RtmpCommand *a, const RtmpCommand *b)
{
  guint i;

  if (!a || !b)
    return a == b;
  if (strcmp (a->name, b->name) != 0 || a->is_data != b->is_data ||
      memcmp (&a->transaction_id, &b->transaction_id, sizeof (gdouble)) != 0 ||
      !amf_value_equal (a->command_object, b->command_object) ||
      a->arguments->len != b->arguments->len)
    return FALSE;
  for (i = 0; i < a->arguments->len; i++) {
    if (!amf_value_equal (g_ptr_array_index (a->arguments, i),
            g_ptr_array_index (b->arguments, i)))
      return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_command_is (const RtmpCommand *cmd, const gchar *name)
{
  return cmd && name && strcmp (cmd->name, name) == 0;
}

gchar *
rtmp_command_to_string (const RtmpCommand *cmd)
{
  GString *s;
  gchar *name;
  guint i;

  if (!cmd)
    return g_strdup ("(none)");
  s = g_string_new (NULL);
  name = printable_name (cmd->name);
  g_string_append_printf (s, "%s(", name);
  g_free (name);
  if (!cmd->is_data) {
    gchar *o = amf_value_to_string (cmd->command_object);

    g_string_append_printf (
        s, "%g, %s", cmd->transaction_id, cmd->command_object ? o : "-");
    g_free (o);
  }
  for (i = 0; i < cmd->arguments->len; i++) {
    gchar *a = amf_value_to_string (g_ptr_array_index (cmd->arguments, i));

    g_string_append_printf (s, "%s%s", i || !cmd->is_data ? ", " : "", a);
    g_free (a);
  }
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

/* The name and numbers at DEBUG; everything (stream names, connect
 * arguments: secrets) only at TRACE. */
static void
log_command (
    const gchar *what, const RtmpCommand *cmd, guint8 type, guint32 stream_id)
{
  GstDebugLevel level = gst_debug_category_get_threshold (command_debug);
  gchar *s;

  if (level < GST_LEVEL_DEBUG)
    return;
  s = printable_name (cmd->name);
  GST_DEBUG ("%s %s '%s' (type %u, stream %u, transaction %.0f, %u "
             "arguments)",
      what, cmd->is_data ? "data message" : "command", s, type, stream_id,
      cmd->transaction_id, cmd->arguments->len);
  g_free (s);
  if (level >= GST_LEVEL_TRACE) {
    s = rtmp_command_to_string (cmd);
    GST_TRACE ("%s", s);
    g_free (s);
  }
}

/* ---- parsing ---- */

gboolean
rtmp_message_type_is_command (guint8 type)
{
  return type == RTMP_MESSAGE_TYPE_COMMAND_AMF0 ||
      type == RTMP_MESSAGE_TYPE_COMMAND_AMF3 ||
      type == RTMP_MESSAGE_TYPE_DATA_AMF0 ||
      type == RTMP_MESSAGE_TYPE_DATA_AMF3;
}

static gboolean
is_extended (guint8 type)
{
  return type == RTMP_MESSAGE_TYPE_COMMAND_AMF3 ||
      type == RTMP_MESSAGE_TYPE_DATA_AMF3;
}

static gboolean
is_data (guint8 type)
{
  return type == RTMP_MESSAGE_TYPE_DATA_AMF0 ||
      type == RTMP_MESSAGE_TYPE_DATA_AMF3;
}

RtmpCommand *
rtmp_command_parse_payload (
    guint8 type, const guint8 *data, gsize size, GError **error)
{
  const gchar *kind = is_data (type) ? "data message" : "command message";
  GPtrArray *values;
  RtmpCommand *cmd;
  const AmfValue *name;
  gsize offset = 0;
  guint next;

  debug_init ();
  if (!rtmp_message_type_is_command (type)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
        "message type %u (%s) is not a command or data message", type,
        rtmp_message_type_name (type));
    return NULL;
  }
  if (is_extended (type)) {
    /* errata 7.2: a format selector, only 0 is defined */
    if (size < 1) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
          "%s of type %u at offset 0: no format selector", kind, type);
      return NULL;
    }
    if (data[0] != 0) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "%s of type %u at offset 0: unknown format selector %u", kind, type,
          data[0]);
      return NULL;
    }
    offset = 1;
  }

  values = amf0_decode_sequence (data, size, offset, NULL, error);
  if (!values) {
    g_prefix_error (error, "%s of type %u: ", kind, type);
    return NULL;
  }
  if (values->len == 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "%s of type %u at offset %" G_GSIZE_FORMAT ": no name", kind, type,
        offset);
    g_ptr_array_unref (values);
    return NULL;
  }
  name = g_ptr_array_index (values, 0);
  if (amf_value_get_type (amf_value_unwrap (name)) != AMF_TYPE_STRING) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "%s of type %u at offset %" G_GSIZE_FORMAT
        ": the name is a %s, not a string",
        kind, type, offset,
        amf_type_name (amf_value_get_type (amf_value_unwrap (name))));
    g_ptr_array_unref (values);
    return NULL;
  }

  cmd = command_alloc (amf_value_get_string (name));
  cmd->message_type = type;
  next = 1;
  if (is_data (type)) {
    cmd->is_data = TRUE;
  } else if (values->len > 1) {
    const AmfValue *tid = amf_value_unwrap (g_ptr_array_index (values, 1));

    if (amf_value_get_type (tid) != AMF_TYPE_NUMBER &&
        amf_value_get_type (tid) != AMF_TYPE_INTEGER) {
      gchar *n = printable_name (cmd->name);

      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "%s '%s' of type %u: the transaction id is a %s, not a number", kind,
          n, type, amf_type_name (amf_value_get_type (tid)));
      g_free (n);
      g_ptr_array_unref (values);
      rtmp_command_free (cmd);
      return NULL;
    }
    cmd->transaction_id = amf_value_get_number (tid);
    /* taking the command object out leaves the arguments from index 2 */
    if (values->len > 2)
      cmd->command_object = g_ptr_array_steal_index (values, 2);
    next = 2;
  }
  /* what is left after name, transaction id and command object */
  for (; next < values->len; next++) {
    g_ptr_array_add (cmd->arguments, g_ptr_array_index (values, next));
    values->pdata[next] = NULL;
  }
  g_ptr_array_unref (values);

  log_command ("parsed", cmd, type, 0);
  return cmd;
}

RtmpCommand *
rtmp_command_parse (const RtmpMessage *msg, GError **error)
{
  GstMapInfo map;
  RtmpCommand *cmd;

  g_return_val_if_fail (msg != NULL && msg->payload != NULL, NULL);

  if (!gst_buffer_map (msg->payload, &map, GST_MAP_READ)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "cannot map the payload of a %s message",
        rtmp_message_type_name (msg->type));
    return NULL;
  }
  cmd = rtmp_command_parse_payload (msg->type, map.data, map.size, error);
  gst_buffer_unmap (msg->payload, &map);
  return cmd;
}

/* ---- writing ---- */

gboolean
rtmp_command_serialize (
    const RtmpCommand *cmd, gboolean extended, GByteArray *out, GError **error)
{
  guint start;
  AmfValue *name;
  gboolean ok;
  guint i;

  g_return_val_if_fail (cmd != NULL && out != NULL, FALSE);

  start = out->len;
  if (extended) {
    guint8 format = 0;

    g_byte_array_append (out, &format, 1);
  }
  name = amf_value_new_string (cmd->name);
  ok = amf0_encode (name, out, error);
  amf_value_free (name);
  if (ok && !cmd->is_data) {
    AmfValue *tid = amf_value_new_number (cmd->transaction_id);

    ok = amf0_encode (tid, out, error);
    amf_value_free (tid);
    /* a command without arguments may end after its transaction id */
    if (ok && (cmd->command_object || cmd->arguments->len > 0)) {
      if (cmd->command_object) {
        ok = amf0_encode (cmd->command_object, out, error);
      } else {
        AmfValue *null = amf_value_new_null ();

        ok = amf0_encode (null, out, error);
        amf_value_free (null);
      }
    }
  }
  for (i = 0; ok && i < cmd->arguments->len; i++)
    ok = amf0_encode (g_ptr_array_index (cmd->arguments, i), out, error);

  if (!ok) {
    gchar *n = printable_name (cmd->name);

    g_prefix_error (
        error, "%s '%s': ", cmd->is_data ? "data message" : "command", n);
    g_free (n);
    g_byte_array_set_size (out, start);
  }
  return ok;
}

RtmpMessage *
rtmp_command_to_message (const RtmpCommand *cmd, gboolean extended,
    guint32 stream_id, GError **error)
{
  GByteArray *out;
  guint8 type;
  gsize len;

  g_return_val_if_fail (cmd != NULL, NULL);

  debug_init ();
  if (cmd->is_data)
    type = extended ? RTMP_MESSAGE_TYPE_DATA_AMF3 : RTMP_MESSAGE_TYPE_DATA_AMF0;
  else
    type = extended ? RTMP_MESSAGE_TYPE_COMMAND_AMF3 :
                      RTMP_MESSAGE_TYPE_COMMAND_AMF0;

  out = g_byte_array_new ();
  if (!rtmp_command_serialize (cmd, extended, out, error)) {
    g_byte_array_unref (out);
    return NULL;
  }
  log_command ("writing", cmd, type, stream_id);
  len = out->len;
  return rtmp_message_new (type, 0, stream_id,
      gst_buffer_new_wrapped (g_byte_array_free (out, FALSE), len));
}

/* ---- builders ---- */

void
rtmp_connect_params_init (
    RtmpConnectParams *params, const gchar *app, const gchar *tc_url)
{
  g_return_if_fail (params != NULL);

  memset (params, 0, sizeof (*params));
  params->app = app;
  params->tc_url = tc_url;
  params->flash_ver = "LNX 10,0,32,18";
  params->fpad = 0;
  params->capabilities = 15;
  /* librtmp's: every sound codec bit but the unused 0x0008, 0x0200 and
   * 0x0800 (3191), every video codec from Sorenson to H.264 (252) */
  params->audio_codecs = 3191;
  params->video_codecs = 252;
  params->video_function = 1;
  params->object_encoding = -1;
}

void
rtmp_connect_params_init_publish (
    RtmpConnectParams *params, const gchar *app, const gchar *tc_url)
{
  rtmp_connect_params_init (params, app, tc_url);
  params->type = "nonprivate";
  params->flash_ver = "FMLE/3.0 (compatible; gst-rtmpe)";
  params->fpad = -1;
  params->capabilities = -1;
  params->audio_codecs = -1;
  params->video_codecs = -1;
  params->video_function = -1;
}

static void
set_number (AmfValue *o, const gchar *name, gdouble n)
{
  if (n >= 0)
    amf_value_set_property_number (o, name, n);
}

static void
set_string (AmfValue *o, const gchar *name, const gchar *s)
{
  if (s)
    amf_value_set_property_string (o, name, s);
}

RtmpCommand *
rtmp_command_new_connect (
    gdouble transaction_id, const RtmpConnectParams *params)
{
  AmfValue *o;

  g_return_val_if_fail (params != NULL, NULL);

  o = amf_value_new_object ();
  amf_value_set_property_string (o, "app", params->app ? params->app : "");
  set_string (o, "type", params->type);
  set_string (o, "flashVer", params->flash_ver);
  set_string (o, "swfUrl", params->swf_url);
  amf_value_set_property_string (
      o, "tcUrl", params->tc_url ? params->tc_url : "");
  if (params->fpad >= 0)
    amf_value_set_property_boolean (o, "fpad", params->fpad > 0);
  set_number (o, "capabilities", params->capabilities);
  set_number (o, "audioCodecs", params->audio_codecs);
  set_number (o, "videoCodecs", params->video_codecs);
  set_number (o, "videoFunction", params->video_function);
  set_string (o, "pageUrl", params->page_url);
  set_number (o, "objectEncoding", params->object_encoding);
  if (params->fourcc_list) {
    AmfValue *list = amf_value_new_strict_array ();
    guint i;

    for (i = 0; params->fourcc_list[i]; i++)
      amf_value_append_element (
          list, amf_value_new_string (params->fourcc_list[i]));
    amf_value_set_property (o, "fourCcList", list);
  }
  return rtmp_command_new ("connect", transaction_id, o);
}

AmfValue *
rtmp_status_info_new (
    const gchar *level, const gchar *code, const gchar *description)
{
  AmfValue *o = amf_value_new_object ();

  set_string (o, "level", level);
  set_string (o, "code", code);
  set_string (o, "description", description);
  return o;
}

static RtmpCommand *
new_answer (const gchar *name, gdouble transaction_id, AmfValue *properties,
    AmfValue *info)
{
  RtmpCommand *cmd = rtmp_command_new (name, transaction_id, properties);

  if (info)
    rtmp_command_add_argument (cmd, info);
  return cmd;
}

RtmpCommand *
rtmp_command_new_result (
    gdouble transaction_id, AmfValue *properties, AmfValue *info)
{
  return new_answer ("_result", transaction_id, properties, info);
}

RtmpCommand *
rtmp_command_new_error (
    gdouble transaction_id, AmfValue *properties, AmfValue *info)
{
  return new_answer ("_error", transaction_id, properties, info);
}

RtmpCommand *
rtmp_command_new_connect_result (
    gdouble transaction_id, gdouble object_encoding)
{
  AmfValue *props = amf_value_new_object ();
  AmfValue *info = rtmp_status_info_new (
      "status", "NetConnection.Connect.Success", "Connection succeeded.");

  amf_value_set_property_string (props, "fmsVer", "FMS/3,0,1,123");
  amf_value_set_property_number (props, "capabilities", 31);
  amf_value_set_property_number (info, "objectEncoding", object_encoding);
  return rtmp_command_new_result (transaction_id, props, info);
}

RtmpCommand *
rtmp_command_new_create_stream_result (
    gdouble transaction_id, guint32 stream_id)
{
  return rtmp_command_new_result (
      transaction_id, NULL, amf_value_new_number (stream_id));
}

RtmpCommand *
rtmp_command_new_create_stream (gdouble transaction_id)
{
  return rtmp_command_new ("createStream", transaction_id, NULL);
}

RtmpCommand *
rtmp_command_new_delete_stream (gdouble transaction_id, guint32 stream_id)
{
  RtmpCommand *cmd = rtmp_command_new ("deleteStream", transaction_id, NULL);

  rtmp_command_add_argument (cmd, amf_value_new_number (stream_id));
  return cmd;
}

static RtmpCommand *
new_with_name (
    const gchar *command, gdouble transaction_id, const gchar *stream_name)
{
  RtmpCommand *cmd = rtmp_command_new (command, transaction_id, NULL);

  rtmp_command_add_argument (cmd, amf_value_new_string (stream_name));
  return cmd;
}

RtmpCommand *
rtmp_command_new_release_stream (
    gdouble transaction_id, const gchar *stream_name)
{
  return new_with_name ("releaseStream", transaction_id, stream_name);
}

RtmpCommand *
rtmp_command_new_fc_publish (gdouble transaction_id, const gchar *stream_name)
{
  return new_with_name ("FCPublish", transaction_id, stream_name);
}

RtmpCommand *
rtmp_command_new_fc_unpublish (gdouble transaction_id, const gchar *stream_name)
{
  return new_with_name ("FCUnpublish", transaction_id, stream_name);
}

static const gchar *const publish_types[] = {
  [RTMP_PUBLISH_LIVE] = "live",
  [RTMP_PUBLISH_RECORD] = "record",
  [RTMP_PUBLISH_APPEND] = "append",
};

const gchar *
rtmp_publish_type_to_string (RtmpPublishType type)
{
  if ((guint) type < G_N_ELEMENTS (publish_types))
    return publish_types[type];
  return "live";
}

gboolean
rtmp_publish_type_from_string (const gchar *s, RtmpPublishType *type)
{
  guint i;

  for (i = 0; s && i < G_N_ELEMENTS (publish_types); i++) {
    if (strcmp (s, publish_types[i]) == 0) {
      if (type)
        *type = i;
      return TRUE;
    }
  }
  return FALSE;
}

RtmpCommand *
rtmp_command_new_publish (
    gdouble transaction_id, const gchar *stream_name, RtmpPublishType type)
{
  RtmpCommand *cmd = new_with_name ("publish", transaction_id, stream_name);

  rtmp_command_add_argument (
      cmd, amf_value_new_string (rtmp_publish_type_to_string (type)));
  return cmd;
}

RtmpCommand *
rtmp_command_new_play (gdouble transaction_id, const gchar *stream_name,
    gdouble start, gdouble duration, gboolean reset)
{
  RtmpCommand *cmd = new_with_name ("play", transaction_id, stream_name);

  rtmp_command_add_argument (cmd, amf_value_new_number (start));
  rtmp_command_add_argument (cmd, amf_value_new_number (duration));
  rtmp_command_add_argument (cmd, amf_value_new_boolean (reset));
  return cmd;
}

RtmpCommand *
rtmp_command_new_pause (gdouble transaction_id, gboolean pause, gdouble ms)
{
  RtmpCommand *cmd = rtmp_command_new ("pause", transaction_id, NULL);

  rtmp_command_add_argument (cmd, amf_value_new_boolean (pause));
  rtmp_command_add_argument (cmd, amf_value_new_number (ms));
  return cmd;
}

RtmpCommand *
rtmp_command_new_seek (gdouble transaction_id, gdouble ms)
{
  RtmpCommand *cmd = rtmp_command_new ("seek", transaction_id, NULL);

  rtmp_command_add_argument (cmd, amf_value_new_number (ms));
  return cmd;
}

RtmpCommand *
rtmp_command_new_on_status (const gchar *level, const gchar *code,
    const gchar *description, AmfValue *extra)
{
  RtmpCommand *cmd = rtmp_command_new ("onStatus", 0, NULL);
  AmfValue *info = rtmp_status_info_new (level, code, description);
  guint i, n = amf_value_get_n_properties (extra);

  for (i = 0; i < n; i++)
    amf_value_set_property (info, amf_value_get_property_name (extra, i),
        amf_value_copy (amf_value_get_property_value (extra, i)));
  amf_value_free (extra);
  rtmp_command_add_argument (cmd, info);
  return cmd;
}

RtmpCommand *
rtmp_command_new_on_bw_done (void)
{
  return rtmp_command_new ("onBWDone", 0, NULL);
}

RtmpCommand *
rtmp_command_new_close (void)
{
  return rtmp_command_new ("close", 0, NULL);
}

RtmpCommand *
rtmp_command_new_close_stream (void)
{
  return rtmp_command_new ("closeStream", 0, NULL);
}

RtmpCommand *
rtmp_command_new_set_data_frame (AmfValue *metadata)
{
  RtmpCommand *cmd = rtmp_command_new_data ("@setDataFrame");

  rtmp_command_add_argument (cmd, amf_value_new_string ("onMetaData"));
  rtmp_command_add_argument (
      cmd, metadata ? metadata : amf_value_new_ecma_array ());
  return cmd;
}

RtmpCommand *
rtmp_command_new_on_metadata (AmfValue *metadata)
{
  RtmpCommand *cmd = rtmp_command_new_data ("onMetaData");

  rtmp_command_add_argument (
      cmd, metadata ? metadata : amf_value_new_ecma_array ());
  return cmd;
}

/* ---- reading ---- */

static gboolean
is_map (const AmfValue *v)
{
  AmfType t = amf_value_get_type (amf_value_unwrap (v));

  /* AMF3 writes ECMA arrays as arrays with named members */
  return t == AMF_TYPE_OBJECT || t == AMF_TYPE_ECMA_ARRAY ||
      t == AMF_TYPE_ARRAY;
}

const AmfValue *
rtmp_command_get_info (const RtmpCommand *cmd)
{
  guint i;

  if (!cmd)
    return NULL;
  for (i = 0; i < cmd->arguments->len; i++) {
    const AmfValue *a = g_ptr_array_index (cmd->arguments, i);

    if (is_map (a))
      return a;
  }
  /* librtmfp's P2P publisher leaves out the null command object: its
   * onStatus is "onStatus", 0, {level, code, description} */
  if (is_map (cmd->command_object) &&
      amf_value_get_property_string (cmd->command_object, "code"))
    return cmd->command_object;
  return NULL;
}

gboolean
rtmp_command_get_status (const RtmpCommand *cmd, const gchar **level,
    const gchar **code, const gchar **description)
{
  const AmfValue *info = rtmp_command_get_info (cmd);
  const gchar *c = amf_value_get_property_string (info, "code");

  if (level)
    *level = amf_value_get_property_string (info, "level");
  if (code)
    *code = c;
  if (description)
    *description = amf_value_get_property_string (info, "description");
  return c != NULL;
}

gboolean
rtmp_command_get_stream_id (const RtmpCommand *cmd, guint32 *stream_id)
{
  const AmfValue *a = rtmp_command_get_argument (cmd, 0);
  gdouble d;

  if (!a)
    return FALSE;
  d = amf_value_get_number_or (a, NAN);
  if (!(d >= 0 && d <= G_MAXUINT32) || d != floor (d))
    return FALSE;
  if (stream_id)
    *stream_id = (guint32) d;
  return TRUE;
}

const gchar *
rtmp_command_get_string_argument (const RtmpCommand *cmd, guint i)
{
  return amf_value_get_string (rtmp_command_get_argument (cmd, i));
}

gboolean
rtmp_command_get_publish (
    const RtmpCommand *cmd, const gchar **stream_name, RtmpPublishType *type)
{
  const gchar *name = rtmp_command_get_string_argument (cmd, 0);

  if (type &&
      !rtmp_publish_type_from_string (
          rtmp_command_get_string_argument (cmd, 1), type))
    *type = RTMP_PUBLISH_LIVE;
  if (stream_name)
    *stream_name = name;
  return name != NULL;
}

gboolean
rtmp_command_get_play (const RtmpCommand *cmd, const gchar **stream_name,
    gdouble *start, gdouble *duration, gboolean *reset)
{
  const gchar *name = rtmp_command_get_string_argument (cmd, 0);
  const AmfValue *r = amf_value_unwrap (rtmp_command_get_argument (cmd, 3));

  if (stream_name)
    *stream_name = name;
  if (start)
    *start = amf_value_get_number_or (rtmp_command_get_argument (cmd, 1), -2);
  if (duration)
    *duration =
        amf_value_get_number_or (rtmp_command_get_argument (cmd, 2), -1);
  if (reset) {
    /* a boolean, or (in old clients) a number */
    if (amf_value_get_type (r) == AMF_TYPE_BOOLEAN)
      *reset = amf_value_get_boolean (r);
    else
      *reset = amf_value_get_number_or (r, 1) != 0;
  }
  return name != NULL;
}

const AmfValue *
rtmp_command_get_metadata (const RtmpCommand *cmd)
{
  const AmfValue *a;

  if (!cmd)
    return NULL;
  if (strcmp (cmd->name, "@setDataFrame") == 0) {
    if (g_strcmp0 (rtmp_command_get_string_argument (cmd, 0), "onMetaData") !=
        0)
      return NULL;
    a = rtmp_command_get_argument (cmd, 1);
  } else if (strcmp (cmd->name, "onMetaData") == 0) {
    a = rtmp_command_get_argument (cmd, 0);
  } else {
    return NULL;
  }
  return is_map (a) ? a : NULL;
}

/* ---- transactions ---- */

struct _RtmpTransactions
{
  GHashTable *pending; /* guint32 id -> name */
  guint32 next;
};

RtmpTransactions *
rtmp_transactions_new (void)
{
  RtmpTransactions *t = g_new0 (RtmpTransactions, 1);

  t->pending = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  t->next = 1;
  return t;
}

void
rtmp_transactions_free (RtmpTransactions *t)
{
  if (!t)
    return;
  g_hash_table_unref (t->pending);
  g_free (t);
}

gdouble
rtmp_transactions_add (RtmpTransactions *t, const gchar *name)
{
  guint32 id;

  g_return_val_if_fail (t != NULL, 0);

  /* skip 0 (no answer wanted) and ids still waiting, after a wrap */
  do {
    id = t->next++;
    if (t->next == 0)
      t->next = 1;
  } while (g_hash_table_contains (t->pending, GUINT_TO_POINTER (id)));
  g_hash_table_insert (
      t->pending, GUINT_TO_POINTER (id), g_strdup (name ? name : ""));
  return id;
}

static gboolean
key_of (gdouble transaction_id, gpointer *key)
{
  if (!(transaction_id >= 1 && transaction_id <= G_MAXUINT32) ||
      transaction_id != floor (transaction_id))
    return FALSE;
  *key = GUINT_TO_POINTER ((guint32) transaction_id);
  return TRUE;
}

const gchar *
rtmp_transactions_lookup (RtmpTransactions *t, gdouble transaction_id)
{
  gpointer key;

  g_return_val_if_fail (t != NULL, NULL);
  if (!key_of (transaction_id, &key))
    return NULL;
  return g_hash_table_lookup (t->pending, key);
}

gchar *
rtmp_transactions_take (RtmpTransactions *t, gdouble transaction_id)
{
  gpointer key, name = NULL;

  g_return_val_if_fail (t != NULL, NULL);
  if (!key_of (transaction_id, &key))
    return NULL;
  if (!g_hash_table_steal_extended (t->pending, key, NULL, &name))
    return NULL;
  return name;
}

guint
rtmp_transactions_get_n_pending (RtmpTransactions *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return g_hash_table_size (t->pending);
}
