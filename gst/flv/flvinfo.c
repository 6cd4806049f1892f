/* gst-rtmpe: what an FLV tag / RTMP media message carries
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Legacy headers: Adobe Video File Format Specification v10.1, E.4.2.1
 * (AUDIODATA) and E.4.3.1 (VIDEODATA). Enhanced headers: veovera Enhanced
 * RTMP v2, ExAudioTagHeader and ExVideoTagHeader; v1 is the same without
 * ModEx, Multitrack and the command frame rule.
 */
#include "flvinfo.h"

#include <string.h>

#include "flvdebug.h"
#include "flvtag.h"
#include "rtmpbytes.h"
#include "rtmperror.h"

/* A cursor over the header bytes; every read is checked. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
  const gchar *what; /* "audio" / "video", for messages */
} Reader;

static gboolean
need (Reader *r, gsize n, const gchar *field, GError **error)
{
  if (r->size - r->pos >= n)
    return TRUE;
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
      "%s tag header: %s at offset %" G_GSIZE_FORMAT " needs %" G_GSIZE_FORMAT
      " bytes, %" G_GSIZE_FORMAT " left",
      r->what, field, r->pos, n, r->size - r->pos);
  return FALSE;
}

static gint32
read_si24 (const guint8 *p)
{
  guint32 v = rtmp_read_u24_be (p);

  if (v & 0x800000)
    v |= 0xff000000;
  return (gint32) v;
}

/* ModEx: after a packet type of 7, a size (UI8 + 1, or UI16 + 1 when the
 * UI8 says 256), that many bytes, then a byte of ModExType (high nibble) and
 * the next packet type (low nibble). Returns the packet type that follows
 * the ModEx run. */
static gboolean
skip_mod_ex (Reader *r, guint mod_ex, guint *packet_type, FlvTagInfo *info,
    GError **error)
{
  while (*packet_type == mod_ex) {
    gsize len;
    const guint8 *data;
    guint type;

    if (!need (r, 1, "ModEx size", error))
      return FALSE;
    len = (gsize) r->data[r->pos++] + 1;
    if (len == 256) {
      if (!need (r, 2, "ModEx size", error))
        return FALSE;
      len = (gsize) ((r->data[r->pos] << 8) | r->data[r->pos + 1]) + 1;
      r->pos += 2;
    }
    if (!need (r, len + 1, "ModEx data", error))
      return FALSE;
    data = r->data + r->pos;
    r->pos += len;
    type = r->data[r->pos] >> 4;
    *packet_type = r->data[r->pos] & 0x0f;
    r->pos++;

    if (type == 0) { /* TimestampOffsetNano, a UI24 */
      if (len < 3) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "%s tag header: TimestampOffsetNano in %" G_GSIZE_FORMAT
            " bytes, needs 3",
            r->what, len);
        return FALSE;
      }
      info->nano_offset = rtmp_read_u24_be (data);
    } else {
      GST_DEBUG ("%s tag header: ModEx type %u (%" G_GSIZE_FORMAT
                 " bytes) skipped",
          r->what, type, len);
    }
  }
  return TRUE;
}

/* Multitrack: AvMultitrackType (high nibble) and the tracks' packet type
 * (low nibble), then the FourCC unless every track has its own. Otherwise
 * just the FourCC. */
static gboolean
read_fourcc (Reader *r, guint multitrack, guint mod_ex, guint *packet_type,
    FlvTagInfo *info, GError **error)
{
  if (*packet_type == multitrack) {
    if (!need (r, 1, "multitrack type", error))
      return FALSE;
    info->multitrack = TRUE;
    info->multitrack_type = r->data[r->pos] >> 4;
    *packet_type = r->data[r->pos] & 0x0f;
    r->pos++;
    if (*packet_type == multitrack || *packet_type == mod_ex) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "%s tag header: packet type %u inside a multitrack packet", r->what,
          *packet_type);
      return FALSE;
    }
    if (info->multitrack_type > FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
          "%s tag header: reserved multitrack type %u", r->what,
          info->multitrack_type);
      return FALSE;
    }
    if (info->multitrack_type == FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
      return TRUE; /* a FourCC per track, in the body */
  }
  if (!need (r, 4, "FourCC", error))
    return FALSE;
  info->fourcc = rtmp_read_u32_be (r->data + r->pos);
  r->pos += 4;
  return TRUE;
}

static FlvCodec
audio_codec_from_format (guint format)
{
  static const FlvCodec codecs[16] = {
    [FLV_SOUND_FORMAT_PCM] = FLV_CODEC_PCM,
    [FLV_SOUND_FORMAT_ADPCM] = FLV_CODEC_ADPCM,
    [FLV_SOUND_FORMAT_MP3] = FLV_CODEC_MP3,
    [FLV_SOUND_FORMAT_PCM_LE] = FLV_CODEC_PCM_LE,
    [FLV_SOUND_FORMAT_NELLYMOSER_16K_MONO] = FLV_CODEC_NELLYMOSER_16K_MONO,
    [FLV_SOUND_FORMAT_NELLYMOSER_8K_MONO] = FLV_CODEC_NELLYMOSER_8K_MONO,
    [FLV_SOUND_FORMAT_NELLYMOSER] = FLV_CODEC_NELLYMOSER,
    [FLV_SOUND_FORMAT_G711_ALAW] = FLV_CODEC_G711_ALAW,
    [FLV_SOUND_FORMAT_G711_MULAW] = FLV_CODEC_G711_MULAW,
    [FLV_SOUND_FORMAT_AAC] = FLV_CODEC_AAC,
    [FLV_SOUND_FORMAT_SPEEX] = FLV_CODEC_SPEEX,
    [FLV_SOUND_FORMAT_MP3_8K] = FLV_CODEC_MP3_8K,
    [FLV_SOUND_FORMAT_DEVICE_SPECIFIC] = FLV_CODEC_DEVICE_SPECIFIC,
  };

  return codecs[format & 0x0f];
}

static FlvCodec
audio_codec_from_fourcc (guint32 fourcc)
{
  switch (fourcc) {
    case FLV_FOURCC_OPUS:
      return FLV_CODEC_OPUS;
    case FLV_FOURCC_FLAC:
      return FLV_CODEC_FLAC;
    case FLV_FOURCC_AC3:
      return FLV_CODEC_AC3;
    case FLV_FOURCC_EAC3:
      return FLV_CODEC_EAC3;
    case FLV_FOURCC_MP3:
      return FLV_CODEC_MP3;
    case FLV_FOURCC_MP4A:
      return FLV_CODEC_AAC;
    default:
      return FLV_CODEC_UNKNOWN;
  }
}

static FlvCodec
video_codec_from_id (guint id)
{
  switch (id) {
    case FLV_VIDEO_CODEC_ID_H263:
      return FLV_CODEC_H263;
    case FLV_VIDEO_CODEC_ID_SCREEN:
      return FLV_CODEC_SCREEN;
    case FLV_VIDEO_CODEC_ID_VP6:
      return FLV_CODEC_VP6;
    case FLV_VIDEO_CODEC_ID_VP6A:
      return FLV_CODEC_VP6A;
    case FLV_VIDEO_CODEC_ID_SCREEN2:
      return FLV_CODEC_SCREEN2;
    case FLV_VIDEO_CODEC_ID_AVC:
      return FLV_CODEC_AVC;
    case FLV_VIDEO_CODEC_ID_HEVC:
      return FLV_CODEC_HEVC;
    default:
      return FLV_CODEC_UNKNOWN;
  }
}

static FlvCodec
video_codec_from_fourcc (guint32 fourcc)
{
  switch (fourcc) {
    case FLV_FOURCC_AVC1:
      return FLV_CODEC_AVC;
    case FLV_FOURCC_HVC1:
      return FLV_CODEC_HEVC;
    case FLV_FOURCC_VVC1:
      return FLV_CODEC_VVC;
    case FLV_FOURCC_AV01:
      return FLV_CODEC_AV1;
    case FLV_FOURCC_VP08:
      return FLV_CODEC_VP8;
    case FLV_FOURCC_VP09:
      return FLV_CODEC_VP9;
    default:
      return FLV_CODEC_UNKNOWN;
  }
}

static gboolean
parse_audio (Reader *r, FlvTagInfo *info, GError **error)
{
  guint format, packet_type;

  if (r->size == 0) {
    /* the "audio silence" message: no header at all */
    info->kind = FLV_PACKET_SILENCE;
    return TRUE;
  }

  format = r->data[0] >> 4;
  r->pos = 1;
  if (format != FLV_SOUND_FORMAT_EX_HEADER) {
    info->codec_id = format;
    info->codec = audio_codec_from_format (format);
    info->sound_rate = (r->data[0] >> 2) & 0x03;
    info->sound_size = (r->data[0] >> 1) & 0x01;
    info->sound_type = r->data[0] & 0x01;
    info->kind = FLV_PACKET_CODED;
    if (format == FLV_SOUND_FORMAT_AAC) {
      if (!need (r, 1, "AACPacketType", error))
        return FALSE;
      info->packet_type = r->data[r->pos++];
      if (info->packet_type == FLV_AAC_SEQUENCE_HEADER) {
        info->kind = FLV_PACKET_CONFIG;
      } else if (info->packet_type != FLV_AAC_RAW) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
            "audio tag header: AACPacketType %d", info->packet_type);
        return FALSE;
      }
    }
    info->header_size = r->pos;
    return TRUE;
  }

  info->ex_header = TRUE;
  packet_type = r->data[0] & 0x0f;
  if (!skip_mod_ex (r, FLV_EX_AUDIO_MOD_EX, &packet_type, info, error) ||
      !read_fourcc (r, FLV_EX_AUDIO_MULTITRACK, FLV_EX_AUDIO_MOD_EX,
          &packet_type, info, error))
    return FALSE;
  info->packet_type = packet_type;
  if (!info->multitrack ||
      info->multitrack_type != FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
    info->codec = audio_codec_from_fourcc (info->fourcc);

  switch (packet_type) {
    case FLV_EX_AUDIO_SEQUENCE_START:
      info->kind = FLV_PACKET_CONFIG;
      break;
    case FLV_EX_AUDIO_CODED_FRAMES:
      info->kind = FLV_PACKET_CODED;
      break;
    case FLV_EX_AUDIO_SEQUENCE_END:
      info->kind = FLV_PACKET_END_OF_SEQUENCE;
      break;
    case FLV_EX_AUDIO_MULTICHANNEL_CONFIG:
      info->kind = FLV_PACKET_CHANNEL_CONFIG;
      break;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
          "audio tag header: reserved AudioPacketType %u", packet_type);
      return FALSE;
  }
  info->header_size = r->pos;
  return TRUE;
}

static gboolean
has_composition_time (guint32 fourcc)
{
  return fourcc == FLV_FOURCC_AVC1 || fourcc == FLV_FOURCC_HVC1 ||
      fourcc == FLV_FOURCC_VVC1;
}

static gboolean
parse_ex_video (Reader *r, FlvTagInfo *info, GError **error)
{
  guint packet_type = r->data[0] & 0x0f;

  info->ex_header = TRUE;
  info->frame_type = (r->data[0] >> 4) & 0x07;
  if (!skip_mod_ex (r, FLV_EX_VIDEO_MOD_EX, &packet_type, info, error))
    return FALSE;

  /* v2: a command frame carries a VideoCommand byte and no FourCC */
  if (info->frame_type == FLV_FRAME_COMMAND &&
      packet_type != FLV_EX_VIDEO_METADATA) {
    if (!need (r, 1, "VideoCommand", error))
      return FALSE;
    info->packet_type = packet_type;
    info->video_command = r->data[r->pos++];
    info->kind = FLV_PACKET_COMMAND;
    info->header_size = r->pos;
    return TRUE;
  }

  if (!read_fourcc (r, FLV_EX_VIDEO_MULTITRACK, FLV_EX_VIDEO_MOD_EX,
          &packet_type, info, error))
    return FALSE;
  info->packet_type = packet_type;
  if (!info->multitrack ||
      info->multitrack_type != FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
    info->codec = video_codec_from_fourcc (info->fourcc);

  switch (packet_type) {
    case FLV_EX_VIDEO_SEQUENCE_START:
    case FLV_EX_VIDEO_MPEG2TS_SEQUENCE_START:
      info->kind = FLV_PACKET_CONFIG;
      break;
    case FLV_EX_VIDEO_CODED_FRAMES:
      info->kind = FLV_PACKET_CODED;
      /* with multitrack, each track carries its own composition time */
      if (!info->multitrack && has_composition_time (info->fourcc)) {
        if (!need (r, 3, "CompositionTime", error))
          return FALSE;
        info->composition_time = read_si24 (r->data + r->pos);
        r->pos += 3;
      }
      break;
    case FLV_EX_VIDEO_CODED_FRAMES_X:
      info->kind = FLV_PACKET_CODED;
      break;
    case FLV_EX_VIDEO_SEQUENCE_END:
      info->kind = FLV_PACKET_END_OF_SEQUENCE;
      break;
    case FLV_EX_VIDEO_METADATA:
      info->kind = FLV_PACKET_METADATA;
      break;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
          "video tag header: reserved VideoPacketType %u", packet_type);
      return FALSE;
  }
  info->keyframe = info->kind != FLV_PACKET_METADATA &&
      (info->frame_type == FLV_FRAME_KEY ||
          info->frame_type == FLV_FRAME_GENERATED_KEY);
  info->header_size = r->pos;
  return TRUE;
}

static gboolean
parse_video (Reader *r, FlvTagInfo *info, GError **error)
{
  if (!need (r, 1, "FrameType", error))
    return FALSE;
  r->pos = 1;
  if (r->data[0] & 0x80)
    return parse_ex_video (r, info, error);

  info->frame_type = r->data[0] >> 4;
  info->codec_id = r->data[0] & 0x0f;
  info->codec = video_codec_from_id (info->codec_id);
  info->keyframe = info->frame_type == FLV_FRAME_KEY ||
      info->frame_type == FLV_FRAME_GENERATED_KEY;

  if (info->frame_type == FLV_FRAME_COMMAND) {
    /* the body is one UI8, whatever the codec */
    if (!need (r, 1, "VideoCommand", error))
      return FALSE;
    info->video_command = r->data[r->pos++];
    info->kind = FLV_PACKET_COMMAND;
    info->header_size = r->pos;
    return TRUE;
  }

  info->kind = FLV_PACKET_CODED;
  if (info->codec_id == FLV_VIDEO_CODEC_ID_AVC ||
      info->codec_id == FLV_VIDEO_CODEC_ID_HEVC) {
    if (!need (r, 4, "AVCPacketType and CompositionTime", error))
      return FALSE;
    info->packet_type = r->data[1];
    switch (info->packet_type) {
      case FLV_AVC_SEQUENCE_HEADER:
        info->kind = FLV_PACKET_CONFIG;
        break;
      case FLV_AVC_NALU:
        info->composition_time = read_si24 (r->data + 2);
        break;
      case FLV_AVC_END_OF_SEQUENCE:
        info->kind = FLV_PACKET_END_OF_SEQUENCE;
        break;
      default:
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
            "video tag header: AVCPacketType %d", info->packet_type);
        return FALSE;
    }
    r->pos = 5;
  }
  info->header_size = r->pos;
  return TRUE;
}

gboolean
flv_tag_info_parse (guint8 type, const guint8 *data, gsize size,
    FlvTagInfo *info, GError **error)
{
  Reader r = { data, size, 0, NULL };

  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  flv_debug_init ();

  memset (info, 0, sizeof (*info));
  info->tag_type = type;
  info->packet_type = -1;
  info->keyframe = TRUE;

  switch (type) {
    case FLV_TAG_TYPE_AUDIO:
      r.what = "audio";
      return parse_audio (&r, info, error);
    case FLV_TAG_TYPE_VIDEO:
      r.what = "video";
      info->keyframe = FALSE;
      return parse_video (&r, info, error);
    case FLV_TAG_TYPE_SCRIPT:
      info->kind = FLV_PACKET_SCRIPT;
      return TRUE;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
          "tag type %u is not audio (8), video (9) or script data (18)", type);
      return FALSE;
  }
}

/* Enough for every header without a long ModEx run. */
#define PEEK_SIZE 64

gboolean
flv_tag_info_parse_buffer (
    guint8 type, GstBuffer *payload, FlvTagInfo *info, GError **error)
{
  guint8 head[PEEK_SIZE];
  gsize size, n;
  GstMapInfo map;
  GError *err = NULL;
  gboolean ok;

  g_return_val_if_fail (GST_IS_BUFFER (payload), FALSE);

  size = gst_buffer_get_size (payload);
  n = gst_buffer_extract (payload, 0, head, MIN (size, sizeof (head)));
  if (flv_tag_info_parse (type, head, n, info, &err))
    return TRUE;
  if (n == size || !g_error_matches (err, RTMP_ERROR, RTMP_ERROR_TRUNCATED)) {
    g_propagate_error (error, err);
    return FALSE;
  }

  /* a header longer than the peek: read it in place */
  g_clear_error (&err);
  if (!gst_buffer_map (payload, &map, GST_MAP_READ)) {
    g_set_error (
        error, RTMP_ERROR, RTMP_ERROR_INVALID, "tag payload cannot be mapped");
    return FALSE;
  }
  ok = flv_tag_info_parse (type, map.data, map.size, info, error);
  gst_buffer_unmap (payload, &map);
  return ok;
}

const gchar *
flv_codec_name (FlvCodec codec)
{
  static const gchar *const names[] = {
    [FLV_CODEC_UNKNOWN] = "unknown",
    [FLV_CODEC_H263] = "h263",
    [FLV_CODEC_SCREEN] = "screen",
    [FLV_CODEC_VP6] = "vp6",
    [FLV_CODEC_VP6A] = "vp6a",
    [FLV_CODEC_SCREEN2] = "screen2",
    [FLV_CODEC_AVC] = "avc",
    [FLV_CODEC_HEVC] = "hevc",
    [FLV_CODEC_VVC] = "vvc",
    [FLV_CODEC_AV1] = "av1",
    [FLV_CODEC_VP8] = "vp8",
    [FLV_CODEC_VP9] = "vp9",
    [FLV_CODEC_PCM] = "pcm",
    [FLV_CODEC_ADPCM] = "adpcm",
    [FLV_CODEC_MP3] = "mp3",
    [FLV_CODEC_PCM_LE] = "pcm-le",
    [FLV_CODEC_NELLYMOSER_16K_MONO] = "nellymoser-16k-mono",
    [FLV_CODEC_NELLYMOSER_8K_MONO] = "nellymoser-8k-mono",
    [FLV_CODEC_NELLYMOSER] = "nellymoser",
    [FLV_CODEC_G711_ALAW] = "g711-alaw",
    [FLV_CODEC_G711_MULAW] = "g711-mulaw",
    [FLV_CODEC_AAC] = "aac",
    [FLV_CODEC_SPEEX] = "speex",
    [FLV_CODEC_MP3_8K] = "mp3-8k",
    [FLV_CODEC_DEVICE_SPECIFIC] = "device-specific",
    [FLV_CODEC_OPUS] = "opus",
    [FLV_CODEC_FLAC] = "flac",
    [FLV_CODEC_AC3] = "ac3",
    [FLV_CODEC_EAC3] = "eac3",
  };

  if ((guint) codec >= G_N_ELEMENTS (names) || !names[codec])
    return "unknown";
  return names[codec];
}

const gchar *
flv_packet_kind_name (FlvPacketKind kind)
{
  switch (kind) {
    case FLV_PACKET_CODED:
      return "coded";
    case FLV_PACKET_CONFIG:
      return "config";
    case FLV_PACKET_END_OF_SEQUENCE:
      return "end-of-sequence";
    case FLV_PACKET_COMMAND:
      return "command";
    case FLV_PACKET_METADATA:
      return "metadata";
    case FLV_PACKET_CHANNEL_CONFIG:
      return "channel-config";
    case FLV_PACKET_SILENCE:
      return "silence";
    case FLV_PACKET_SCRIPT:
      return "script";
    default:
      return "unknown";
  }
}
