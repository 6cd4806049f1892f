/* gst-rtmpe: protocol control and user control message tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gst/gst.h>

#include "rtmpcontrol.h"
#include "rtmperror.h"
#include "testutil.h"

static void
check_message (RtmpMessage *msg, guint8 type, const gchar *hex)
{
  GBytes *b = hex_bytes (hex);
  GstMapInfo map;

  g_assert_nonnull (msg);
  g_assert_cmpuint (msg->type, ==, type);
  g_assert_cmpuint (msg->stream_id, ==, 0);
  g_assert_cmpuint (msg->timestamp, ==, 0);
  g_assert_cmpuint (msg->chunk_stream_id, ==, RTMP_CONTROL_CHUNK_STREAM);
  g_assert_true (gst_buffer_map (msg->payload, &map, GST_MAP_READ));
  assert_bytes_equal (map.data, map.size, b);
  gst_buffer_unmap (msg->payload, &map);
  g_bytes_unref (b);
}

static RtmpProtocolControl
parse_control (RtmpMessage *msg)
{
  RtmpProtocolControl c;
  GError *error = NULL;

  g_assert_true (rtmp_control_parse (msg, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.type, ==, msg->type);
  rtmp_message_free (msg);
  return c;
}

static RtmpUserControl
parse_user (RtmpMessage *msg)
{
  RtmpUserControl uc;
  GError *error = NULL;

  g_assert_true (rtmp_user_control_parse (msg, &uc, &error));
  g_assert_no_error (error);
  rtmp_message_free (msg);
  return uc;
}

static void
test_protocol_control (void)
{
  RtmpMessage *msg;
  RtmpProtocolControl c;

  /* what nginx-rtmp sends first: window 5,000,000, dynamic, chunks of 4096 */
  msg = rtmp_control_new_window_ack_size (5000000);
  check_message (msg, RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE, "004c4b40");
  c = parse_control (msg);
  g_assert_cmpuint (c.value, ==, 5000000);

  msg = rtmp_control_new_set_peer_bandwidth (5000000, RTMP_LIMIT_DYNAMIC);
  check_message (msg, RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH, "004c4b40 02");
  c = parse_control (msg);
  g_assert_cmpuint (c.value, ==, 5000000);
  g_assert_cmpint (c.limit_type, ==, RTMP_LIMIT_DYNAMIC);
  msg = rtmp_control_new_set_peer_bandwidth (2500000, RTMP_LIMIT_HARD);
  check_message (msg, RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH, "002625a0 00");
  g_assert_cmpint (parse_control (msg).limit_type, ==, RTMP_LIMIT_HARD);
  msg = rtmp_control_new_set_peer_bandwidth (1, RTMP_LIMIT_SOFT);
  g_assert_cmpint (parse_control (msg).limit_type, ==, RTMP_LIMIT_SOFT);

  msg = rtmp_control_new_set_chunk_size (4096);
  check_message (msg, RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE, "00001000");
  g_assert_cmpuint (parse_control (msg).value, ==, 4096);
  msg = rtmp_control_new_set_chunk_size (RTMP_CHUNK_SIZE_MAX);
  check_message (msg, RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE, "7fffffff");
  g_assert_cmpuint (parse_control (msg).value, ==, RTMP_CHUNK_SIZE_MAX);
  msg = rtmp_control_new_set_chunk_size (1);
  g_assert_cmpuint (parse_control (msg).value, ==, 1);

  msg = rtmp_control_new_abort (5);
  check_message (msg, RTMP_MESSAGE_TYPE_ABORT, "00000005");
  g_assert_cmpuint (parse_control (msg).value, ==, 5);

  msg = rtmp_control_new_acknowledgement (0xfffffffe);
  check_message (msg, RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT, "fffffffe");
  g_assert_cmpuint (parse_control (msg).value, ==, 0xfffffffe);
}

static void
check_control_error (guint8 type, const gchar *hex, RtmpError code)
{
  GBytes *b = hex_bytes (hex);
  RtmpProtocolControl c;
  GError *error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);

  g_assert_false (rtmp_control_parse_payload (type, data, size, &c, &error));
  g_assert_error (error, RTMP_ERROR, (gint) code);
  g_test_message ("%u %s -> %s", type, hex, error->message);
  g_clear_error (&error);
  g_bytes_unref (b);
}

static void
test_protocol_control_errors (void)
{
  RtmpProtocolControl c;
  GError *error = NULL;
  guint8 type;

  check_control_error (1, "80000000", RTMP_ERROR_INVALID);
  check_control_error (1, "ffffffff", RTMP_ERROR_INVALID);
  check_control_error (1, "00000000", RTMP_ERROR_INVALID);
  check_control_error (6, "004c4b40 03", RTMP_ERROR_INVALID);
  check_control_error (4, "00000001", RTMP_ERROR_UNKNOWN_TYPE);
  check_control_error (20, "00000001", RTMP_ERROR_UNKNOWN_TYPE);
  /* every short length of every type */
  for (type = 1; type <= 6; type++) {
    const gchar *full = type == 6 ? "0000100002" : "00001000";
    GBytes *b;
    gsize size, cut;
    const guint8 *data;

    if (type == 4)
      continue;
    b = hex_bytes (full);
    data = g_bytes_get_data (b, &size);
    for (cut = 0; cut < size; cut++) {
      g_assert_false (rtmp_control_parse_payload (type, data, cut, &c, &error));
      g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
      g_clear_error (&error);
    }
    g_bytes_unref (b);
  }
  /* what follows the fields is ignored */
  {
    GBytes *b = hex_bytes ("00000080 ffff");
    gsize size;
    const guint8 *data = g_bytes_get_data (b, &size);

    g_assert_true (rtmp_control_parse_payload (1, data, size, &c, &error));
    g_assert_cmpuint (c.value, ==, 128);
    g_bytes_unref (b);
  }
}

static void
test_user_control (void)
{
  RtmpMessage *msg;
  RtmpUserControl uc;
  guint8 hash[RTMP_SWF_HASH_SIZE];
  guint i;

  msg = rtmp_user_control_new_stream_begin (1);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0000 00000001");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_STREAM_BEGIN);
  g_assert_cmpuint (uc.stream_id, ==, 1);
  g_assert_cmpuint (uc.data_size, ==, 4);

  msg = rtmp_user_control_new_stream_eof (1);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0001 00000001");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_STREAM_EOF);

  msg = rtmp_user_control_new_stream_dry (3);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0002 00000003");
  g_assert_cmpuint (parse_user (msg).stream_id, ==, 3);

  /* ffmpeg's: stream 1, 3000 ms */
  msg = rtmp_user_control_new_set_buffer_length (1, 3000);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0003 00000001 00000bb8");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_SET_BUFFER_LENGTH);
  g_assert_cmpuint (uc.stream_id, ==, 1);
  g_assert_cmpuint (uc.buffer_length, ==, 3000);

  msg = rtmp_user_control_new_stream_is_recorded (1);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0004 00000001");
  g_assert_cmpuint (
      parse_user (msg).event, ==, RTMP_USER_CONTROL_STREAM_IS_RECORDED);

  msg = rtmp_user_control_new_ping_request (123456);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0006 0001e240");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_PING_REQUEST);
  g_assert_cmpuint (uc.timestamp, ==, 123456);
  msg = rtmp_user_control_new_ping_response (123456);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "0007 0001e240");
  g_assert_cmpuint (parse_user (msg).timestamp, ==, 123456);

  msg = rtmp_user_control_new_swf_verify_request ();
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL, "001a");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_SWF_VERIFY_REQUEST);
  g_assert_cmpuint (uc.swf_verify_type, ==, 0);

  for (i = 0; i < RTMP_SWF_HASH_SIZE; i++)
    hash[i] = i;
  msg = rtmp_user_control_new_swf_verify_response (0x12345, hash);
  check_message (msg, RTMP_MESSAGE_TYPE_USER_CONTROL,
      "001b 0101 00012345 00012345"
      " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  uc = parse_user (msg);
  g_assert_cmpuint (uc.event, ==, RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE);
  g_assert_cmpuint (uc.swf_size, ==, 0x12345);
  g_assert_cmpmem (uc.swf_hash, RTMP_SWF_HASH_SIZE, hash, RTMP_SWF_HASH_SIZE);
  g_assert_cmpuint (uc.data_size, ==, 42);

  g_assert_cmpstr (rtmp_user_control_event_name (0x1f), ==, "BufferEmpty");
  g_assert_cmpstr (rtmp_user_control_event_name (0x99), ==, "unknown");
}

static void
check_user_error (const gchar *hex, RtmpError code)
{
  GBytes *b = hex_bytes (hex);
  RtmpUserControl uc;
  GError *error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (b, &size);

  g_assert_false (rtmp_user_control_parse_payload (data, size, &uc, &error));
  g_assert_error (error, RTMP_ERROR, (gint) code);
  g_test_message ("%s -> %s", hex, error->message);
  g_clear_error (&error);
  g_bytes_unref (b);
}

static void
test_user_control_errors (void)
{
  const gchar *full[] = {
    "0000 00000001",
    "0001 00000001",
    "0002 00000001",
    "0003 00000001 00000bb8",
    "0004 00000001",
    "0006 00000001",
    "0007 00000001",
    "001f 00000001",
    "0020 00000001",
    "001b 0101 00012345 00012345"
    " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
  };
  guint i;

  check_user_error ("", RTMP_ERROR_TRUNCATED);
  check_user_error ("00", RTMP_ERROR_TRUNCATED);
  check_user_error ("001b 0201 00012345 00012345"
                    " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
                    "1c1d1e1f",
      RTMP_ERROR_INVALID);
  /* every short length of every event with a fixed size */
  for (i = 0; i < G_N_ELEMENTS (full); i++) {
    GBytes *b = hex_bytes (full[i]);
    gsize size, cut;
    const guint8 *data = g_bytes_get_data (b, &size);

    for (cut = 0; cut < size; cut++) {
      RtmpUserControl uc;
      GError *error = NULL;

      g_assert_false (rtmp_user_control_parse_payload (data, cut, &uc, &error));
      g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
      g_clear_error (&error);
    }
    g_bytes_unref (b);
  }
  /* not a user control message */
  {
    RtmpMessage *msg = rtmp_control_new_abort (3);
    RtmpUserControl uc;
    GError *error = NULL;

    g_assert_false (rtmp_user_control_parse (msg, &uc, &error));
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE);
    g_clear_error (&error);
    rtmp_message_free (msg);
  }
  /* unknown events are read, with what data they have */
  {
    GBytes *b = hex_bytes ("0099 00000007 aa");
    RtmpUserControl uc;
    GError *error = NULL;
    gsize size;
    const guint8 *data = g_bytes_get_data (b, &size);

    g_assert_true (rtmp_user_control_parse_payload (data, size, &uc, &error));
    g_assert_cmpuint (uc.event, ==, 0x99);
    g_assert_cmpuint (uc.stream_id, ==, 7);
    g_assert_cmpuint (uc.data_size, ==, 5);
    g_bytes_unref (b);
  }
  /* a server may put the verification type after 0x1a (librtmp reads it) */
  {
    GBytes *b = hex_bytes ("001a 01");
    RtmpUserControl uc;
    gsize size;
    const guint8 *data = g_bytes_get_data (b, &size);

    g_assert_true (rtmp_user_control_parse_payload (data, size, &uc, NULL));
    g_assert_cmpuint (uc.swf_verify_type, ==, 1);
    g_bytes_unref (b);
  }
}

/* Every control message of the recorded sessions parses, and the builders
 * write it again byte for byte. */
static void
test_recorded_sessions (void)
{
  GPtrArray *msgs = load_session_messages ();
  guint i, n = 0;

  for (i = 0; i < msgs->len; i++) {
    SessionMessage *m = g_ptr_array_index (msgs, i);
    GError *error = NULL;
    RtmpMessage *again = NULL;
    gsize size;
    const guint8 *data = g_bytes_get_data (m->payload, &size);
    GstMapInfo map;

    if (m->type == RTMP_MESSAGE_TYPE_USER_CONTROL) {
      RtmpUserControl uc;

      g_assert_true (rtmp_user_control_parse_payload (data, size, &uc, &error));
      g_assert_no_error (error);
      switch (uc.event) {
        case RTMP_USER_CONTROL_STREAM_BEGIN:
          again = rtmp_user_control_new_stream_begin (uc.stream_id);
          break;
        case RTMP_USER_CONTROL_STREAM_EOF:
          again = rtmp_user_control_new_stream_eof (uc.stream_id);
          break;
        case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
          again = rtmp_user_control_new_set_buffer_length (
              uc.stream_id, uc.buffer_length);
          break;
        default:
          g_error ("unexpected user control event %u", uc.event);
      }
    } else if (rtmp_message_type_is_protocol_control (m->type)) {
      RtmpProtocolControl c;

      g_assert_true (
          rtmp_control_parse_payload (m->type, data, size, &c, &error));
      g_assert_no_error (error);
      switch (m->type) {
        case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
          again = rtmp_control_new_set_chunk_size (c.value);
          break;
        case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
          again = rtmp_control_new_window_ack_size (c.value);
          break;
        case RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH:
          again = rtmp_control_new_set_peer_bandwidth (c.value, c.limit_type);
          break;
        default:
          g_error ("unexpected protocol control message %u", m->type);
      }
    } else {
      continue;
    }
    /* they came on chunk stream 2, message stream 0 */
    g_assert_cmpuint (m->chunk_stream_id, ==, 2);
    g_assert_cmpuint (m->stream_id, ==, 0);
    gst_buffer_map (again->payload, &map, GST_MAP_READ);
    assert_bytes_equal (map.data, map.size, m->payload);
    gst_buffer_unmap (again->payload, &map);
    rtmp_message_free (again);
    n++;
  }
  g_assert_cmpuint (n, >=, 20);
  g_ptr_array_unref (msgs);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/control/protocol", test_protocol_control);
  g_test_add_func ("/control/protocol-errors", test_protocol_control_errors);
  g_test_add_func ("/control/user", test_user_control);
  g_test_add_func ("/control/user-errors", test_user_control_errors);
  g_test_add_func ("/control/recorded-sessions", test_recorded_sessions);
  return g_test_run ();
}
