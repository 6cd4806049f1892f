/* gst-rtmpe: libFuzzer target for command, data and control messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The first input byte is the message type, the rest its payload. A
 * command or data message that parses is written back (as the same type),
 * parsed again and must be equal; control messages that parse are built
 * again from what was read and must parse to the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtmpcommand.h"
#include "rtmpcontrol.h"
#include "rtmperror.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* payloads are GstBuffers: GStreamer must be initialised, but it needs
   * no plugins */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  return 0;
}

static void
fail (const gchar *what, const GError *error)
{
  fprintf (
      stderr, "%s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  abort ();
}

static void
check_error (GError *error)
{
  if (!error || error->domain != RTMP_ERROR)
    fail ("parsing failed without an RTMP_ERROR", error);
  g_error_free (error);
}

static void
fuzz_command (guint8 type, const guint8 *data, gsize size)
{
  GError *error = NULL;
  RtmpCommand *cmd, *again;
  RtmpMessage *msg;
  gchar *s;

  cmd = rtmp_command_parse_payload (type, data, size, &error);
  if (!cmd) {
    check_error (error);
    return;
  }
  s = rtmp_command_to_string (cmd);
  g_free (s);
  rtmp_command_get_status (cmd, NULL, NULL, NULL);
  rtmp_command_get_stream_id (cmd, NULL);
  rtmp_command_get_metadata (cmd);
  rtmp_command_get_play (cmd, NULL, NULL, NULL, NULL);

  msg = rtmp_command_to_message (cmd,
      type == RTMP_MESSAGE_TYPE_COMMAND_AMF3 ||
          type == RTMP_MESSAGE_TYPE_DATA_AMF3,
      1, &error);
  if (!msg)
    fail ("a parsed command could not be written", error);
  if (msg->type != type)
    fail ("written as another type", NULL);
  again = rtmp_command_parse (msg, &error);
  if (!again)
    fail ("a written command could not be parsed", error);
  if (!rtmp_command_equal (cmd, again))
    fail ("a command came back different", NULL);
  rtmp_command_free (again);
  rtmp_message_free (msg);
  rtmp_command_free (cmd);
}

static void
fuzz_control (guint8 type, const guint8 *data, gsize size)
{
  GError *error = NULL;
  RtmpProtocolControl c, c2;
  RtmpMessage *msg = NULL;

  if (!rtmp_control_parse_payload (type, data, size, &c, &error)) {
    check_error (error);
    return;
  }
  switch (type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
      msg = rtmp_control_new_set_chunk_size (c.value);
      break;
    case RTMP_MESSAGE_TYPE_ABORT:
      msg = rtmp_control_new_abort (c.value);
      break;
    case RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT:
      msg = rtmp_control_new_acknowledgement (c.value);
      break;
    case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
      msg = rtmp_control_new_window_ack_size (c.value);
      break;
    default:
      msg = rtmp_control_new_set_peer_bandwidth (c.value, c.limit_type);
      break;
  }
  if (!msg || !rtmp_control_parse (msg, &c2, &error))
    fail ("a rebuilt control message does not parse", error);
  if (c.type != c2.type || c.value != c2.value || c.limit_type != c2.limit_type)
    fail ("a control message came back different", NULL);
  rtmp_message_free (msg);
}

static void
fuzz_user_control (const guint8 *data, gsize size)
{
  GError *error = NULL;
  RtmpUserControl uc, uc2;
  RtmpMessage *msg = NULL;

  if (!rtmp_user_control_parse_payload (data, size, &uc, &error)) {
    check_error (error);
    return;
  }
  switch (uc.event) {
    case RTMP_USER_CONTROL_STREAM_BEGIN:
      msg = rtmp_user_control_new_stream_begin (uc.stream_id);
      break;
    case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
      msg = rtmp_user_control_new_set_buffer_length (
          uc.stream_id, uc.buffer_length);
      break;
    case RTMP_USER_CONTROL_PING_REQUEST:
      msg = rtmp_user_control_new_ping_request (uc.timestamp);
      break;
    case RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE:
      msg =
          rtmp_user_control_new_swf_verify_response (uc.swf_size, uc.swf_hash);
      break;
    default:
      return;
  }
  if (!rtmp_user_control_parse (msg, &uc2, &error))
    fail ("a rebuilt user control message does not parse", error);
  if (uc.event != uc2.event || uc.stream_id != uc2.stream_id ||
      uc.buffer_length != uc2.buffer_length || uc.timestamp != uc2.timestamp ||
      uc.swf_size != uc2.swf_size ||
      memcmp (uc.swf_hash, uc2.swf_hash, RTMP_SWF_HASH_SIZE) != 0)
    fail ("a user control message came back different", NULL);
  rtmp_message_free (msg);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint8 type;

  if (size < 1)
    return 0;
  type = data[0];
  data++;
  size--;

  if (type == RTMP_MESSAGE_TYPE_USER_CONTROL)
    fuzz_user_control (data, size);
  else if (rtmp_message_type_is_protocol_control (type))
    fuzz_control (type, data, size);
  else
    fuzz_command (type, data, size);
  return 0;
}
