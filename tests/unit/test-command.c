/* gst-rtmpe: RTMP command and data message tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Real messages come from tests/data/rtmp-session-messages.txt (nginx-rtmp
 * with ffmpeg, GStreamer and librtmp clients): our builders must write
 * the same bytes those programs wrote, and our parser must read them.
 */
#include <string.h>

#include <gst/gst.h>

#include "rtmpcommand.h"
#include "rtmperror.h"
#include "testutil.h"

static GPtrArray *session;

/* The payload of the first command or data message named @name that
 * @sess sent in @direction. */
static GBytes *
recorded (const gchar *sess, const gchar *direction, const gchar *name)
{
  guint i;

  for (i = 0; i < session->len; i++) {
    SessionMessage *m = g_ptr_array_index (session, i);
    RtmpCommand *cmd;
    gboolean match;
    gsize size;
    const guint8 *data;

    if (strcmp (m->session, sess) != 0 ||
        strcmp (m->direction, direction) != 0 ||
        !rtmp_message_type_is_command (m->type))
      continue;
    data = g_bytes_get_data (m->payload, &size);
    cmd = rtmp_command_parse_payload (m->type, data, size, NULL);
    g_assert_nonnull (cmd);
    match = rtmp_command_is (cmd, name);
    rtmp_command_free (cmd);
    if (match)
      return g_bytes_ref (m->payload);
  }
  g_error ("no %s from %s %s in the recorded sessions", name, sess, direction);
  return NULL;
}

static RtmpCommand *
parse_bytes (guint8 type, GBytes *b)
{
  GError *error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);
  RtmpCommand *cmd = rtmp_command_parse_payload (type, data, size, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cmd);
  g_assert_cmpuint (cmd->message_type, ==, type);
  return cmd;
}

/* @cmd (taken) written as type 20/18 gives @expected. */
static void
check_writes (RtmpCommand *cmd, GBytes *expected)
{
  GError *error = NULL;
  RtmpMessage *msg = rtmp_command_to_message (cmd, FALSE, 7, &error);
  GstMapInfo map;

  g_assert_no_error (error);
  g_assert_cmpuint (msg->type, ==,
      cmd->is_data ? RTMP_MESSAGE_TYPE_DATA_AMF0 :
                     RTMP_MESSAGE_TYPE_COMMAND_AMF0);
  g_assert_cmpuint (msg->stream_id, ==, 7);
  g_assert_cmpuint (msg->timestamp, ==, 0);
  g_assert_true (gst_buffer_map (msg->payload, &map, GST_MAP_READ));
  assert_bytes_equal (map.data, map.size, expected);
  gst_buffer_unmap (msg->payload, &map);
  rtmp_message_free (msg);
  rtmp_command_free (cmd);
}

static void
check_writes_recorded (
    RtmpCommand *cmd, const gchar *sess, const gchar *direction)
{
  GBytes *b = recorded (sess, direction, cmd->name);

  check_writes (cmd, b);
  g_bytes_unref (b);
}

static void
check_writes_hex (RtmpCommand *cmd, const gchar *hex)
{
  GBytes *b = hex_bytes (hex);

  check_writes (cmd, b);
  g_bytes_unref (b);
}

/* ---- builders against real traffic ---- */

static void
test_connect (void)
{
  RtmpConnectParams p;
  RtmpCommand *cmd;
  GBytes *b;
  const AmfValue *o;

  /* ffmpeg 5.1 publishing */
  rtmp_connect_params_init_publish (&p, "live", "rtmp://127.0.0.1:19351/live");
  g_assert_cmpstr (p.flash_ver, ==, "FMLE/3.0 (compatible; gst-rtmpe)");
  p.flash_ver = "FMLE/3.0 (compatible; Lavf59.27.100)";
  check_writes_recorded (rtmp_command_new_connect (1, &p), "conn1", "c2s");

  /* GStreamer rtmp2sink */
  p.flash_ver = "LNX 10,0,32,18";
  check_writes_recorded (rtmp_command_new_connect (1, &p), "conn3", "c2s");

  /* librtmp (rtmpdump) playing: the defaults */
  rtmp_connect_params_init (&p, "live", "rtmp://127.0.0.1:19351/live");
  check_writes_recorded (rtmp_command_new_connect (1, &p), "conn4", "c2s");

  /* ffmpeg 5.1 playing */
  p.flash_ver = "LNX 9,0,124,2";
  p.audio_codecs = 4071;
  check_writes_recorded (rtmp_command_new_connect (1, &p), "conn2", "c2s");

  /* and reading one */
  b = recorded ("conn2", "c2s", "connect");
  cmd = parse_bytes (20, b);
  g_assert_cmpfloat (cmd->transaction_id, ==, 1);
  o = cmd->command_object;
  g_assert_cmpstr (amf_value_get_property_string (o, "app"), ==, "live");
  g_assert_cmpstr (amf_value_get_property_string (o, "tcUrl"), ==,
      "rtmp://127.0.0.1:19351/live");
  g_assert_cmpfloat (
      amf_value_get_property_number (o, "audioCodecs", 0), ==, 4071);
  g_assert_false (amf_value_get_property_boolean (o, "fpad", TRUE));
  g_assert_cmpfloat (
      amf_value_get_property_number (o, "objectEncoding", 0), ==, 0);
  g_assert_cmpuint (cmd->arguments->len, ==, 0);
  rtmp_command_free (cmd);
  g_bytes_unref (b);
}

static void
test_connect_extras (void)
{
  const gchar *fourccs[] = { "av01", "vp09", "hvc1", NULL };
  RtmpConnectParams p;
  RtmpCommand *cmd;
  const AmfValue *list;
  AmfValue *user;

  /* every member, Enhanced RTMP's fourCcList, and extra arguments of any
   * type after the command object */
  rtmp_connect_params_init (&p, "app", "rtmp://h/app");
  p.swf_url = "http://h/p.swf";
  p.page_url = "http://h/";
  p.object_encoding = 3;
  p.fourcc_list = fourccs;
  cmd = rtmp_command_new_connect (1, &p);
  user = amf_value_new_object ();
  amf_value_set_property_string (user, "user", "u");
  rtmp_command_add_argument (cmd, amf_value_new_string ("token"));
  rtmp_command_add_argument (cmd, user);
  rtmp_command_add_argument (cmd, amf_value_new_number (42));

  g_assert_cmpuint (amf_value_get_n_properties (cmd->command_object), ==, 12);
  g_assert_cmpstr (
      amf_value_get_property_name (cmd->command_object, 11), ==, "fourCcList");
  list = amf_value_get_property (cmd->command_object, "fourCcList");
  g_assert_cmpint (amf_value_get_type (list), ==, AMF_TYPE_STRICT_ARRAY);
  g_assert_cmpuint (amf_value_get_n_elements (list), ==, 3);
  g_assert_cmpstr (
      amf_value_get_string (amf_value_get_element (list, 2)), ==, "hvc1");

  /* the members in the order librtmp writes them, then the list */
  check_writes_hex (cmd,
      "02 0007 636f6e6e656374 00 3ff0000000000000"
      "03"
      " 0003 617070 02 0003 617070"
      " 0008 666c61736856657202000e 4c4e582031302c302c33322c3138"
      " 0006 73776655726c 02 000e 687474703a2f2f682f702e737766"
      " 0005 746355726c 02 000c 72746d703a2f2f682f617070"
      " 0004 66706164 01 00"
      " 000c 6361706162696c6974696573 00 402e000000000000"
      " 000b 617564696f436f64656373 00 40a8ee0000000000"
      " 000b 766964656f436f64656373 00 406f800000000000"
      " 000d 766964656f46756e6374696f6e 00 3ff0000000000000"
      " 0007 7061676555726c 02 0009 687474703a2f2f682f"
      " 000e 6f626a656374456e636f64696e67 00 4008000000000000"
      " 000a 666f757243634c697374 0a 00000003"
      "   02 0004 61763031 02 0004 76703039 02 0004 68766331"
      " 0000 09"
      "02 0005 746f6b656e"
      "03 0004 75736572 02 0001 75 0000 09"
      "00 4045000000000000");
}

static void
test_server_answers (void)
{
  RtmpCommand *cmd;
  GBytes *b;
  guint32 id = 0;
  const gchar *level, *code, *description;

  /* nginx-rtmp's _result to connect */
  cmd = rtmp_command_new_connect_result (1, 0);
  b = recorded ("conn1", "s2c", "_result");
  check_writes (cmd, b);
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_get_status (cmd, &level, &code, &description));
  g_assert_cmpstr (level, ==, "status");
  g_assert_cmpstr (code, ==, "NetConnection.Connect.Success");
  g_assert_cmpstr (description, ==, "Connection succeeded.");
  g_assert_cmpstr (
      amf_value_get_property_string (cmd->command_object, "fmsVer"), ==,
      "FMS/3,0,1,123");
  g_assert_cmpfloat (amf_value_get_property_number (
                         rtmp_command_get_info (cmd), "objectEncoding", -1),
      ==, 0);
  /* a connect result has no stream id */
  g_assert_false (rtmp_command_get_stream_id (cmd, &id));
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* _result to createStream (transaction 4 from ffmpeg) */
  check_writes_hex (rtmp_command_new_create_stream_result (4, 1),
      "02 0007 5f726573756c74 00 4010000000000000 05 00 3ff0000000000000");
  b = hex_bytes (
      "02 0007 5f726573756c74 00 4010000000000000 05 00 3ff0000000000000");
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_is (cmd, "_result"));
  g_assert_cmpfloat (cmd->transaction_id, ==, 4);
  g_assert_true (rtmp_command_get_stream_id (cmd, &id));
  g_assert_cmpuint (id, ==, 1);
  g_assert_false (rtmp_command_get_status (cmd, NULL, NULL, NULL));
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* onStatus NetStream.Publish.Start, as nginx-rtmp sends it */
  cmd = rtmp_command_new_on_status (
      "status", "NetStream.Publish.Start", "Start publishing", NULL);
  b = recorded ("conn1", "s2c", "onStatus");
  check_writes (cmd, b);
  cmd = parse_bytes (20, b);
  g_assert_cmpfloat (cmd->transaction_id, ==, 0);
  g_assert_true (amf_value_is_null_or_undefined (cmd->command_object));
  g_assert_true (rtmp_command_get_status (cmd, &level, &code, NULL));
  g_assert_cmpstr (code, ==, "NetStream.Publish.Start");
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* librtmfp's P2P publisher: no null command object, the info object in
   * its place (RTMFP capture mona-librtmfp-p2p, and live against our own
   * player) */
  b = hex_bytes (
      "02 0008 6f6e537461747573 00 0000000000000000"
      " 03 0005 6c6576656c 02 0006 737461747573"
      "    0004 636f6465 02 0014 4e657453747265616d2e506c61792e5374617274"
      "    000b 6465736372697074696f6e 02 0017"
      "         537461727465642070 6c6179696e67 2070327074657374"
      " 00 00 09");
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_is (cmd, "onStatus"));
  g_assert_cmpuint (cmd->arguments->len, ==, 0);
  g_assert_true (rtmp_command_get_status (cmd, &level, &code, &description));
  g_assert_cmpstr (level, ==, "status");
  g_assert_cmpstr (code, ==, "NetStream.Play.Start");
  g_assert_cmpstr (description, ==, "Started playing p2ptest");
  rtmp_command_free (cmd);
  g_bytes_unref (b);
  /* a command object without a code is no info object */
  cmd = rtmp_command_new ("_result", 1, amf_value_new_object ());
  amf_value_set_property_string (cmd->command_object, "fmsVer", "x");
  g_assert_null (rtmp_command_get_info (cmd));
  rtmp_command_free (cmd);

  /* with extra members */
  {
    AmfValue *extra = amf_value_new_object ();
    const AmfValue *info;

    amf_value_set_property_string (extra, "details", "s");
    amf_value_set_property_number (extra, "clientid", 1);
    cmd = rtmp_command_new_on_status (
        "error", "NetStream.Play.StreamNotFound", NULL, extra);
    info = rtmp_command_get_info (cmd);
    g_assert_cmpuint (amf_value_get_n_properties (info), ==, 4);
    g_assert_cmpstr (amf_value_get_property_name (info, 2), ==, "details");
    g_assert_cmpfloat (
        amf_value_get_property_number (info, "clientid", 0), ==, 1);
    rtmp_command_free (cmd);
  }

  /* _error with an info object */
  cmd = rtmp_command_new_error (1, NULL,
      rtmp_status_info_new ("error", "NetConnection.Connect.Rejected",
          "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ]"));
  g_assert_true (rtmp_command_get_status (cmd, NULL, &code, &description));
  g_assert_cmpstr (code, ==, "NetConnection.Connect.Rejected");
  g_assert_nonnull (strstr (description, "authmod=adobe"));
  rtmp_command_free (cmd);
}

static void
test_stream_commands (void)
{
  RtmpCommand *cmd;
  GBytes *b;
  const gchar *name;
  RtmpPublishType type;
  gdouble start, duration;
  gboolean reset;

  /* ffmpeg publishing, transaction ids 2 to 7 */
  check_writes_recorded (
      rtmp_command_new_release_stream (2, "stream"), "conn1", "c2s");
  check_writes_recorded (
      rtmp_command_new_fc_publish (3, "stream"), "conn1", "c2s");
  check_writes_recorded (rtmp_command_new_create_stream (4), "conn1", "c2s");
  check_writes_recorded (
      rtmp_command_new_publish (5, "stream", RTMP_PUBLISH_LIVE), "conn1",
      "c2s");
  check_writes_recorded (
      rtmp_command_new_fc_unpublish (6, "stream"), "conn1", "c2s");
  check_writes_recorded (rtmp_command_new_delete_stream (7, 1), "conn1", "c2s");
  /* GStreamer uses transaction 0 */
  check_writes_recorded (
      rtmp_command_new_release_stream (0, "gst"), "conn3", "c2s");
  check_writes_recorded (
      rtmp_command_new_publish (0, "gst", RTMP_PUBLISH_LIVE), "conn3", "c2s");

  b = recorded ("conn1", "c2s", "publish");
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_get_publish (cmd, &name, &type));
  g_assert_cmpstr (name, ==, "stream");
  g_assert_cmpint (type, ==, RTMP_PUBLISH_LIVE);
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  check_writes_hex (rtmp_command_new_publish (0, "a", RTMP_PUBLISH_RECORD),
      "02 0007 7075626c697368 00 0000000000000000 05 02 0001 61"
      " 02 0006 7265636f7264");
  check_writes_hex (rtmp_command_new_publish (0, "a", RTMP_PUBLISH_APPEND),
      "02 0007 7075626c697368 00 0000000000000000 05 02 0001 61"
      " 02 0006 617070656e64");

  /* play from ffmpeg (name and start only) and librtmp (and duration) */
  b = recorded ("conn2", "c2s", "play");
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_get_play (cmd, &name, &start, &duration, &reset));
  g_assert_cmpstr (name, ==, "stream");
  g_assert_cmpfloat (start, ==, -2000);
  g_assert_cmpfloat (duration, ==, -1);
  g_assert_true (reset);
  rtmp_command_free (cmd);
  g_bytes_unref (b);
  b = recorded ("conn4", "c2s", "play");
  cmd = parse_bytes (20, b);
  g_assert_true (rtmp_command_get_play (cmd, &name, &start, &duration, NULL));
  g_assert_cmpstr (name, ==, "gst");
  g_assert_cmpfloat (start, ==, -1000);
  g_assert_cmpfloat (duration, ==, 1000);
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  check_writes_hex (rtmp_command_new_play (0, "s", -2, -1, TRUE),
      "02 0004 706c6179 00 0000000000000000 05 02 0001 73"
      " 00 c000000000000000 00 bff0000000000000 01 01");
  cmd = rtmp_command_new_play (0, "s", 10, 5, FALSE);
  g_assert_true (rtmp_command_get_play (cmd, NULL, &start, &duration, &reset));
  g_assert_cmpfloat (start, ==, 10);
  g_assert_cmpfloat (duration, ==, 5);
  g_assert_false (reset);
  rtmp_command_free (cmd);

  check_writes_hex (rtmp_command_new_pause (0, TRUE, 1500),
      "02 0005 7061757365 00 0000000000000000 05 01 01 00 4097700000000000");
  check_writes_hex (rtmp_command_new_seek (0, 3000),
      "02 0004 7365656b 00 0000000000000000 05 00 40a7700000000000");
  check_writes_hex (rtmp_command_new_on_bw_done (),
      "02 0008 6f6e4257446f6e65 00 0000000000000000 05");
  check_writes_hex (
      rtmp_command_new_close (), "02 0005 636c6f7365 00 0000000000000000 05");
  check_writes_hex (rtmp_command_new_close_stream (),
      "02 000b 636c6f736553747265616d 00 0000000000000000 05");

  {
    RtmpPublishType t;

    g_assert_true (rtmp_publish_type_from_string ("append", &t));
    g_assert_cmpint (t, ==, RTMP_PUBLISH_APPEND);
    g_assert_false (rtmp_publish_type_from_string ("appendWithGap", &t));
    g_assert_false (rtmp_publish_type_from_string (NULL, &t));
    g_assert_cmpstr (
        rtmp_publish_type_to_string (RTMP_PUBLISH_RECORD), ==, "record");
  }
}

static void
test_metadata (void)
{
  RtmpCommand *cmd;
  GBytes *b;
  const AmfValue *md;

  /* ffmpeg's @setDataFrame: an ECMA array of 13 */
  b = recorded ("conn1", "c2s", "@setDataFrame");
  cmd = parse_bytes (18, b);
  g_assert_true (cmd->is_data);
  g_assert_null (cmd->command_object);
  md = rtmp_command_get_metadata (cmd);
  g_assert_cmpint (amf_value_get_type (md), ==, AMF_TYPE_ECMA_ARRAY);
  g_assert_cmpuint (amf_value_get_ecma_count (md), ==, 13);
  g_assert_cmpfloat (amf_value_get_property_number (md, "width", 0), ==, 320);
  g_assert_cmpfloat (
      amf_value_get_property_number (md, "videocodecid", 0), ==, 7);
  g_assert_cmpstr (
      amf_value_get_property_string (md, "encoder"), ==, "Lavf59.27.100");
  /* written back from the builder */
  check_writes (rtmp_command_new_set_data_frame (amf_value_copy (md)), b);
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* GStreamer flvmux's */
  b = recorded ("conn3", "c2s", "@setDataFrame");
  cmd = parse_bytes (18, b);
  md = rtmp_command_get_metadata (cmd);
  g_assert_cmpuint (amf_value_get_ecma_count (md), ==, 12);
  g_assert_cmpstr (amf_value_get_property_string (md, "metadatacreator"), ==,
      "GStreamer 1.22.0 FLV muxer");
  check_writes (rtmp_command_new_set_data_frame (amf_value_copy (md)), b);
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* nginx-rtmp relays onMetaData as an object */
  b = recorded ("conn2", "s2c", "onMetaData");
  cmd = parse_bytes (18, b);
  md = rtmp_command_get_metadata (cmd);
  g_assert_cmpint (amf_value_get_type (md), ==, AMF_TYPE_OBJECT);
  g_assert_cmpfloat (amf_value_get_property_number (md, "height", 0), ==, 240);
  check_writes (rtmp_command_new_on_metadata (amf_value_copy (md)), b);
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* |RtmpSampleAccess, true, true */
  b = recorded ("conn2", "s2c", "|RtmpSampleAccess");
  cmd = parse_bytes (18, b);
  g_assert_cmpuint (cmd->arguments->len, ==, 2);
  g_assert_true (amf_value_get_boolean (rtmp_command_get_argument (cmd, 1)));
  g_assert_null (rtmp_command_get_metadata (cmd));
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* by hand: @setDataFrame, onMetaData, ecma[1]{duration: 0} */
  {
    AmfValue *m = amf_value_new_ecma_array ();

    amf_value_set_property_number (m, "duration", 0);
    check_writes_hex (rtmp_command_new_set_data_frame (m),
        "02 000d 40736574446174614672616d65 02 000a 6f6e4d65746144617461"
        " 08 00000001 0008 6475726174696f6e 00 0000000000000000 0000 09");
  }
}

/* Every command and data message of the recorded sessions parses and is
 * written back byte for byte. */
static void
test_recorded_sessions (void)
{
  guint i, n = 0;

  for (i = 0; i < session->len; i++) {
    SessionMessage *m = g_ptr_array_index (session, i);
    RtmpCommand *cmd;
    gchar *s;

    if (!rtmp_message_type_is_command (m->type))
      continue;
    cmd = parse_bytes (m->type, m->payload);
    s = rtmp_command_to_string (cmd);
    g_assert_nonnull (strstr (s, cmd->name));
    g_test_message ("%s %s: %s", m->session, m->direction, s);
    g_free (s);
    check_writes (cmd, m->payload);
    n++;
  }
  g_assert_cmpuint (n, >=, 40);
}

/* ---- types 17 and 15 ---- */

static void
test_extended (void)
{
  /* format 0; AMF0 name, transaction id and null; an AMF3 info object
   * {level: "status", code: "NetStream.Play.Start"} behind 0x11 */
  const gchar *hex =
      "00 02 0008 6f6e537461747573 00 0000000000000000 05"
      " 11 0a 0b 01 0b 6c6576656c 06 0d 737461747573"
      "    09 636f6465 06 29 4e657453747265616d2e506c61792e5374617274 01";
  GBytes *b = hex_bytes (hex);
  RtmpCommand *cmd = parse_bytes (17, b), *again;
  GError *error = NULL;
  GByteArray *out = g_byte_array_new ();
  const gchar *code;
  const AmfValue *info;
  gsize size;
  const guint8 *data;

  g_assert_true (rtmp_command_is (cmd, "onStatus"));
  g_assert_true (rtmp_command_get_status (cmd, NULL, &code, NULL));
  g_assert_cmpstr (code, ==, "NetStream.Play.Start");
  info = rtmp_command_get_info (cmd);
  g_assert_cmpint (amf_value_get_type (info), ==, AMF_TYPE_AVMPLUS);
  g_assert_cmpint (
      amf_value_get_type (amf_value_unwrap (info)), ==, AMF_TYPE_OBJECT);
  /* written back the same way */
  g_assert_true (rtmp_command_serialize (cmd, TRUE, out, &error));
  assert_bytes_equal (out->data, out->len, b);
  /* and as type 20 it loses only the format byte */
  g_byte_array_set_size (out, 0);
  g_assert_true (rtmp_command_serialize (cmd, FALSE, out, &error));
  data = g_bytes_get_data (b, &size);
  g_assert_cmpuint (out->len, ==, size - 1);
  g_assert_cmpmem (out->data, out->len, data + 1, size - 1);
  again = rtmp_command_parse_payload (20, out->data, out->len, &error);
  g_assert_no_error (error);
  g_assert_true (rtmp_command_equal (cmd, again));
  rtmp_command_free (again);
  rtmp_command_free (cmd);
  g_byte_array_unref (out);
  g_bytes_unref (b);

  /* the name and transaction id may be AMF3 too */
  b = hex_bytes ("00 11 06 0d 5f6572726f72 11 04 03 05");
  cmd = parse_bytes (17, b);
  g_assert_true (rtmp_command_is (cmd, "_error"));
  g_assert_cmpfloat (cmd->transaction_id, ==, 3);
  g_assert_true (amf_value_is_null_or_undefined (cmd->command_object));
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* data message type 15 */
  b = hex_bytes ("00 02 000a 6f6e4d65746144617461 11 09 01 0b 7769647468 04 "
                 "8240 01");
  cmd = parse_bytes (15, b);
  g_assert_true (cmd->is_data);
  g_assert_cmpfloat (amf_value_get_property_number (
                         rtmp_command_get_metadata (cmd), "width", 0),
      ==, 320);
  {
    RtmpMessage *msg = rtmp_command_to_message (cmd, TRUE, 1, &error);
    GstMapInfo map;

    g_assert_no_error (error);
    g_assert_cmpuint (msg->type, ==, RTMP_MESSAGE_TYPE_DATA_AMF3);
    gst_buffer_map (msg->payload, &map, GST_MAP_READ);
    assert_bytes_equal (map.data, map.size, b);
    gst_buffer_unmap (msg->payload, &map);
    rtmp_message_free (msg);
  }
  rtmp_command_free (cmd);
  g_bytes_unref (b);

  /* a value wrapped by hand is sent in AMF3 */
  cmd =
      rtmp_command_new ("x", 0, amf_value_new_avmplus (amf_value_new_null ()));
  rtmp_command_add_argument (
      cmd, amf_value_new_avmplus (amf_value_new_integer (1)));
  {
    RtmpMessage *msg = rtmp_command_to_message (cmd, TRUE, 0, &error);
    GBytes *expected =
        hex_bytes ("00 02 0001 78 00 0000000000000000 11 01 11 04 01");
    GstMapInfo map;

    g_assert_cmpuint (msg->type, ==, RTMP_MESSAGE_TYPE_COMMAND_AMF3);
    gst_buffer_map (msg->payload, &map, GST_MAP_READ);
    assert_bytes_equal (map.data, map.size, expected);
    gst_buffer_unmap (msg->payload, &map);
    rtmp_message_free (msg);
    g_bytes_unref (expected);
  }
  rtmp_command_free (cmd);
}

/* ---- malformed ---- */

static void
check_parse_error (guint8 type, const gchar *hex, RtmpError code)
{
  GBytes *b = hex_bytes (hex);
  GError *error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);
  RtmpCommand *cmd = rtmp_command_parse_payload (type, data, size, &error);

  g_assert_null (cmd);
  g_assert_error (error, RTMP_ERROR, (gint) code);
  g_test_message ("%s -> %s", hex, error->message);
  g_error_free (error);
  g_bytes_unref (b);
}

static void
test_errors (void)
{
  check_parse_error (9, "02 0001 61", RTMP_ERROR_UNKNOWN_TYPE);
  check_parse_error (20, "", RTMP_ERROR_TRUNCATED);
  check_parse_error (18, "", RTMP_ERROR_TRUNCATED);
  check_parse_error (17, "", RTMP_ERROR_TRUNCATED);
  check_parse_error (17, "00", RTMP_ERROR_TRUNCATED);
  check_parse_error (17, "01 02 0001 61", RTMP_ERROR_UNSUPPORTED);
  check_parse_error (15, "03 02 0001 61", RTMP_ERROR_UNSUPPORTED);
  check_parse_error (20, "00 3ff0000000000000", RTMP_ERROR_INVALID);
  check_parse_error (18, "05", RTMP_ERROR_INVALID);
  check_parse_error (20, "02 0001 61 02 0001 62", RTMP_ERROR_INVALID);
  check_parse_error (
      20, "02 0001 61 00 0000000000000000 12", RTMP_ERROR_UNKNOWN_TYPE);
  check_parse_error (
      20, "02 0001 61 00 0000000000000000 07 0000", RTMP_ERROR_BAD_REFERENCE);
  check_parse_error (17, "00 02 0001 61 00 0000000000000000 11 0a 07 0341",
      RTMP_ERROR_UNSUPPORTED);
  check_parse_error (
      20, "02 0001 61 00 0000000000000000 0a 00100000", RTMP_ERROR_TRUNCATED);

  /* short commands are fine: a name, a name and a transaction id */
  {
    GBytes *b = hex_bytes ("02 0001 61 00 4000000000000000");
    RtmpCommand *cmd = parse_bytes (20, b);

    g_assert_cmpfloat (cmd->transaction_id, ==, 2);
    g_assert_null (cmd->command_object);
    check_writes (cmd, b);
    g_bytes_unref (b);
  }
}

/* Every prefix of every recorded command either parses (it ends between
 * two values) or fails as truncated. */
static void
test_truncated (void)
{
  guint i, n_prefixes = 0;

  for (i = 0; i < session->len; i++) {
    SessionMessage *m = g_ptr_array_index (session, i);
    gsize size, cut;
    const guint8 *data = g_bytes_get_data (m->payload, &size);

    if (!rtmp_message_type_is_command (m->type))
      continue;
    for (cut = 0; cut < size; cut++) {
      GError *error = NULL;
      RtmpCommand *cmd =
          rtmp_command_parse_payload (m->type, data, cut, &error);

      if (!cmd && !g_error_matches (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED))
        g_error ("%s cut to %" G_GSIZE_FORMAT ": %s", m->session, cut,
            error->message);
      rtmp_command_free (cmd);
      g_clear_error (&error);
      n_prefixes++;
    }
  }
  g_test_message ("%u prefixes", n_prefixes);
}

/* ---- transactions ---- */

static void
test_transactions (void)
{
  RtmpTransactions *t = rtmp_transactions_new ();
  gchar *name;

  g_assert_cmpfloat (rtmp_transactions_add (t, "connect"), ==, 1);
  g_assert_cmpfloat (rtmp_transactions_add (t, "createStream"), ==, 2);
  g_assert_cmpfloat (rtmp_transactions_add (t, "releaseStream"), ==, 3);
  g_assert_cmpuint (rtmp_transactions_get_n_pending (t), ==, 3);
  g_assert_cmpstr (rtmp_transactions_lookup (t, 2), ==, "createStream");
  g_assert_null (rtmp_transactions_lookup (t, 0));
  g_assert_null (rtmp_transactions_lookup (t, 2.5));
  g_assert_null (rtmp_transactions_lookup (t, -1));
  g_assert_null (rtmp_transactions_lookup (t, 1e300));
  name = rtmp_transactions_take (t, 1);
  g_assert_cmpstr (name, ==, "connect");
  g_free (name);
  g_assert_null (rtmp_transactions_take (t, 1));
  g_assert_cmpuint (rtmp_transactions_get_n_pending (t), ==, 2);
  g_assert_cmpfloat (rtmp_transactions_add (t, "publish"), ==, 4);
  rtmp_transactions_free (t);
}

static void
test_misc (void)
{
  RtmpCommand *a = rtmp_command_new_create_stream (2);
  RtmpCommand *b = rtmp_command_new_create_stream (2);
  gchar *s;

  g_assert_true (rtmp_command_equal (a, b));
  b->transaction_id = 3;
  g_assert_false (rtmp_command_equal (a, b));
  g_assert_null (rtmp_command_get_argument (a, 0));
  g_assert_null (rtmp_command_get_string_argument (a, 0));
  g_assert_null (rtmp_command_get_info (a));
  g_assert_null (rtmp_command_get_metadata (a));
  g_assert_false (rtmp_command_get_publish (a, NULL, NULL));
  s = rtmp_command_to_string (a);
  g_assert_cmpstr (s, ==, "createStream(2, null)");
  g_free (s);
  rtmp_command_free (a);
  rtmp_command_free (b);
  g_assert_true (rtmp_message_type_is_command (20));
  g_assert_false (rtmp_message_type_is_command (19));
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  session = load_session_messages ();

  g_test_add_func ("/command/connect", test_connect);
  g_test_add_func ("/command/connect-extras", test_connect_extras);
  g_test_add_func ("/command/server-answers", test_server_answers);
  g_test_add_func ("/command/stream-commands", test_stream_commands);
  g_test_add_func ("/command/metadata", test_metadata);
  g_test_add_func ("/command/recorded-sessions", test_recorded_sessions);
  g_test_add_func ("/command/extended", test_extended);
  g_test_add_func ("/command/errors", test_errors);
  g_test_add_func ("/command/truncated", test_truncated);
  g_test_add_func ("/command/transactions", test_transactions);
  g_test_add_func ("/command/misc", test_misc);
  ret = g_test_run ();
  g_ptr_array_unref (session);
  return ret;
}
