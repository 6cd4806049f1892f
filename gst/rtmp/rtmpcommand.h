/* gst-rtmpe: RTMP commands (types 20 and 17) and data messages (18, 15)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A command is a name, a transaction id, a command object and arguments;
 * a data message is a name and arguments. Types 20 and 18 carry AMF0
 * values; types 17 and 15 carry a format byte (0) and then AMF0 values of
 * which any may be switched to AMF3 by the 0x11 marker (RTMP errata and
 * addenda, section 7.2).
 *
 * Parsed values are kept as they came: a value switched to AMF3 stays an
 * AMF_TYPE_AVMPLUS wrapper (so it is written back the same way). The AMF
 * getters look through wrappers; call amf_value_unwrap() before testing a
 * value's type. Writing a command as type 17 or 15 only adds the format
 * byte: wrap a value with amf_value_new_avmplus() to send it in AMF3.
 */
#ifndef __RTMP_COMMAND_H__
#define __RTMP_COMMAND_H__

#include <gst/gst.h>

#include "amf.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

/**
 * RtmpCommand:
 * @name: the command or data message name ("connect", "onStatus",
 *   "@setDataFrame" ...)
 * @transaction_id: 0 for commands that want no answer; the id of the
 *   request in a _result or _error; 0 in data messages
 * @command_object: (nullable): the command object (AMF null for most
 *   commands); NULL in data messages and commands too short to have one
 * @arguments: (element-type AmfValue): the values after the command object
 *   (after the name in data messages); never NULL
 * @is_data: a data message (types 18, 15): no transaction id, no command
 *   object
 * @message_type: the type it was parsed from (20, 17, 18, 15), 0 when built
 *
 * Owned by whoever holds it; free with rtmp_command_free(). The fields may
 * be read and changed directly.
 */
typedef struct
{
  gchar *name;
  gdouble transaction_id;
  AmfValue *command_object;
  GPtrArray *arguments;
  gboolean is_data;
  guint8 message_type;
} RtmpCommand;

/* @command_object is taken; NULL gives an AMF null. */
RtmpCommand *rtmp_command_new (
    const gchar *name, gdouble transaction_id, AmfValue *command_object);
RtmpCommand *rtmp_command_new_data (const gchar *name);
void rtmp_command_free (RtmpCommand *cmd);
/* Takes @arg. */
void rtmp_command_add_argument (RtmpCommand *cmd, AmfValue *arg);
/* (nullable) the argument @i, or NULL when there are fewer */
const AmfValue *rtmp_command_get_argument (const RtmpCommand *cmd, guint i);
gboolean rtmp_command_equal (const RtmpCommand *a, const RtmpCommand *b);
gboolean rtmp_command_is (const RtmpCommand *cmd, const gchar *name);
/* For logs: "onStatus(0, null, {level: ...})". It shows stream names,
 * connect arguments and the like: log it at GST_LEVEL_TRACE only. */
gchar *rtmp_command_to_string (const RtmpCommand *cmd);

/* TRUE for types 15, 17, 18 and 20. */
gboolean rtmp_message_type_is_command (guint8 type);

/* Parses a message of type 20, 17, 18 or 15. Errors: RTMP_ERROR_UNKNOWN_TYPE
 * for other types, RTMP_ERROR_UNSUPPORTED for a format byte other than 0,
 * RTMP_ERROR_INVALID when the name is not a string or the transaction id
 * not a number, and those of the AMF0 decoder (offsets count from the
 * start of the payload). */
RtmpCommand *rtmp_command_parse (const RtmpMessage *msg, GError **error);
RtmpCommand *rtmp_command_parse_payload (
    guint8 type, const guint8 *data, gsize size, GError **error);

/* Writes @cmd as a message on message stream @stream_id: type 20 (or 18
 * for data messages), or with @extended, 17 (or 15). Fails only when a
 * value cannot be encoded (see amf0_encode()). */
RtmpMessage *rtmp_command_to_message (const RtmpCommand *cmd, gboolean extended,
    guint32 stream_id, GError **error);
gboolean rtmp_command_serialize (
    const RtmpCommand *cmd, gboolean extended, GByteArray *out, GError **error);

/* ---- builders ---- */

/**
 * RtmpConnectParams:
 * Members of the connect command object. Strings set to NULL and numbers
 * set below zero are left out (except @app and @tc_url, always sent);
 * @fpad is left out when below zero. rtmp_connect_params_init() sets what
 * a player sends (librtmp's values), rtmp_connect_params_init_publish()
 * what a publisher sends (as ffmpeg, OBS and GStreamer do: app, type,
 * flashVer, tcUrl).
 */
typedef struct
{
  const gchar *app;
  const gchar *type; /* "nonprivate" from publishers */
  const gchar *flash_ver;
  const gchar *swf_url;
  const gchar *tc_url;
  gint fpad; /* -1 left out, 0 false, 1 true */
  gdouble capabilities;
  gdouble audio_codecs; /* SUPPORT_SND_* bits */
  gdouble video_codecs; /* SUPPORT_VID_* bits */
  gdouble video_function; /* 1: SUPPORT_VID_CLIENT_SEEK */
  const gchar *page_url;
  /* 0 (AMF0) or 3 (AMF3); left out by default, which means 0 */
  gdouble object_encoding;
  /* Enhanced RTMP: FourCCs of the codecs supported ("av01", "vp09",
   * "hvc1" ...); NULL leaves it out */
  const gchar *const *fourcc_list;
} RtmpConnectParams;

void rtmp_connect_params_init (
    RtmpConnectParams *params, const gchar *app, const gchar *tc_url);
/* What a publisher sends: app, type "nonprivate", flashVer
 * "FMLE/3.0 (compatible; gst-rtmpe)", tcUrl. */
void rtmp_connect_params_init_publish (
    RtmpConnectParams *params, const gchar *app, const gchar *tc_url);

/* Extra connect arguments (user name, token ...) are added with
 * rtmp_command_add_argument(). */
RtmpCommand *rtmp_command_new_connect (
    gdouble transaction_id, const RtmpConnectParams *params);

/* An info object {level, code, description} (NULLs left out). */
AmfValue *rtmp_status_info_new (
    const gchar *level, const gchar *code, const gchar *description);

/* _result and _error answering the request @transaction_id; @properties
 * (NULL: AMF null) and @info, the answer (an info object, a stream id ...;
 * NULL: none), are taken. */
RtmpCommand *rtmp_command_new_result (
    gdouble transaction_id, AmfValue *properties, AmfValue *info);
RtmpCommand *rtmp_command_new_error (
    gdouble transaction_id, AmfValue *properties, AmfValue *info);
/* The _result of connect as servers send it: {fmsVer, capabilities},
 * {level: "status", code: "NetConnection.Connect.Success", description,
 * objectEncoding}. */
RtmpCommand *rtmp_command_new_connect_result (
    gdouble transaction_id, gdouble object_encoding);
RtmpCommand *rtmp_command_new_create_stream_result (
    gdouble transaction_id, guint32 stream_id);

RtmpCommand *rtmp_command_new_create_stream (gdouble transaction_id);
/* sent on message stream 0, naming the stream to delete */
RtmpCommand *rtmp_command_new_delete_stream (
    gdouble transaction_id, guint32 stream_id);
RtmpCommand *rtmp_command_new_release_stream (
    gdouble transaction_id, const gchar *stream_name);
RtmpCommand *rtmp_command_new_fc_publish (
    gdouble transaction_id, const gchar *stream_name);
RtmpCommand *rtmp_command_new_fc_unpublish (
    gdouble transaction_id, const gchar *stream_name);

typedef enum
{
  RTMP_PUBLISH_LIVE,
  RTMP_PUBLISH_RECORD,
  RTMP_PUBLISH_APPEND,
} RtmpPublishType;

const gchar *rtmp_publish_type_to_string (RtmpPublishType type);
/* FALSE for names other than "live", "record" and "append" */
gboolean rtmp_publish_type_from_string (const gchar *s, RtmpPublishType *type);

RtmpCommand *rtmp_command_new_publish (
    gdouble transaction_id, const gchar *stream_name, RtmpPublishType type);
/* @start: seconds, -2 (live, else recorded), -1 (live only) or a position;
 * @duration: seconds, -1 (to the end) or 0 (one frame) or more */
RtmpCommand *rtmp_command_new_play (gdouble transaction_id,
    const gchar *stream_name, gdouble start, gdouble duration, gboolean reset);
/* @pause TRUE pauses, FALSE resumes; @ms: the stream time */
RtmpCommand *rtmp_command_new_pause (
    gdouble transaction_id, gboolean pause, gdouble ms);
RtmpCommand *rtmp_command_new_seek (gdouble transaction_id, gdouble ms);
/* onStatus with transaction id 0, a null command object and the info
 * object; the members of @extra (an object, taken, may be NULL) are added
 * to it. */
RtmpCommand *rtmp_command_new_on_status (const gchar *level, const gchar *code,
    const gchar *description, AmfValue *extra);
RtmpCommand *rtmp_command_new_on_bw_done (void);
/* NetConnection close and NetStream closeStream */
RtmpCommand *rtmp_command_new_close (void);
RtmpCommand *rtmp_command_new_close_stream (void);

/* Data messages: "@setDataFrame", "onMetaData", @metadata, as a publisher
 * sends it, and "onMetaData", @metadata as a server relays it. @metadata
 * (taken) is an ECMA array, as flvmux and ffmpeg write it. */
RtmpCommand *rtmp_command_new_set_data_frame (AmfValue *metadata);
RtmpCommand *rtmp_command_new_on_metadata (AmfValue *metadata);

/* ---- reading ---- */

/* The info object of onStatus, _result and _error: the first argument
 * that is an object or ECMA array (or AMF3 array), else the command object
 * if it is one with a string "code" (librtmfp leaves out the null command
 * object of its P2P onStatus); NULL when there is none. */
const AmfValue *rtmp_command_get_info (const RtmpCommand *cmd);
/* level, code and description of the info object (each may be NULL);
 * FALSE when there is no info object with a string code. */
gboolean rtmp_command_get_status (const RtmpCommand *cmd, const gchar **level,
    const gchar **code, const gchar **description);
/* The stream id of a _result to createStream: FALSE unless the first
 * argument is a whole number in 0..2^32-1. */
gboolean rtmp_command_get_stream_id (
    const RtmpCommand *cmd, guint32 *stream_id);
/* The string argument @i (stream name of publish, play, releaseStream,
 * FCPublish ...), or NULL. */
const gchar *rtmp_command_get_string_argument (const RtmpCommand *cmd, guint i);
/* publish: the stream name and type ("live" when missing or unknown) */
gboolean rtmp_command_get_publish (
    const RtmpCommand *cmd, const gchar **stream_name, RtmpPublishType *type);
/* play: name, and start, duration and reset (defaults -2, -1, TRUE) */
gboolean rtmp_command_get_play (const RtmpCommand *cmd,
    const gchar **stream_name, gdouble *start, gdouble *duration,
    gboolean *reset);
/* The metadata of "@setDataFrame", "onMetaData", {...} or "onMetaData",
 * {...} (an ECMA array, object or AMF3 array); NULL for other messages. */
const AmfValue *rtmp_command_get_metadata (const RtmpCommand *cmd);

/* ---- transactions ---- */

/* Maps transaction ids of requests we sent to their command names, so a
 * _result or _error can be matched. Ids start at 1 (connect's) and grow. */
typedef struct _RtmpTransactions RtmpTransactions;

RtmpTransactions *rtmp_transactions_new (void);
void rtmp_transactions_free (RtmpTransactions *t);
/* Records a request named @name; returns its new transaction id. */
gdouble rtmp_transactions_add (RtmpTransactions *t, const gchar *name);
/* The name of the pending request @transaction_id, or NULL. */
const gchar *rtmp_transactions_lookup (
    RtmpTransactions *t, gdouble transaction_id);
/* Removes the request and returns its name (g_free() it), or NULL when no
 * request with that id is pending. */
gchar *rtmp_transactions_take (RtmpTransactions *t, gdouble transaction_id);
guint rtmp_transactions_get_n_pending (RtmpTransactions *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCommand, rtmp_command_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpTransactions, rtmp_transactions_free)

G_END_DECLS

#endif
