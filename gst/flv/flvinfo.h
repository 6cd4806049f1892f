/* gst-rtmpe: what an FLV tag / RTMP media message carries
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads the (Ex)AudioTagHeader or (Ex)VideoTagHeader at the start of an
 * audio, video or script payload: codec, key frame or not, codec
 * configuration (sequence header) or coded frames, composition time, and
 * where the codec's own bytes start. Legacy FLV (Adobe Video File Format
 * Specification v10.1, annex E) and Enhanced RTMP (veovera, v1 and v2:
 * IsExHeader, FourCC, packet types, ModEx, multitrack) are both read.
 *
 * Composition time: a video frame is presented at DTS + composition_time
 * (milliseconds; the message timestamp is the DTS). It is non-zero only for
 * legacy AVC (codec id 7) and legacy HEVC (id 12) NALU packets, and for
 * Enhanced RTMP CodedFrames of avc1, hvc1 and vvc1; CodedFramesX means 0.
 */
#ifndef __FLV_INFO_H__
#define __FLV_INFO_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define FLV_FOURCC(a, b, c, d)                                                 \
  (((guint32) (guint8) (a) << 24) | ((guint32) (guint8) (b) << 16) |           \
      ((guint32) (guint8) (c) << 8) | (guint32) (guint8) (d))

/* Enhanced RTMP video FourCCs */
#define FLV_FOURCC_AVC1 FLV_FOURCC ('a', 'v', 'c', '1')
#define FLV_FOURCC_HVC1 FLV_FOURCC ('h', 'v', 'c', '1')
#define FLV_FOURCC_VVC1 FLV_FOURCC ('v', 'v', 'c', '1')
#define FLV_FOURCC_AV01 FLV_FOURCC ('a', 'v', '0', '1')
#define FLV_FOURCC_VP08 FLV_FOURCC ('v', 'p', '0', '8')
#define FLV_FOURCC_VP09 FLV_FOURCC ('v', 'p', '0', '9')
/* Enhanced RTMP audio FourCCs */
#define FLV_FOURCC_OPUS FLV_FOURCC ('O', 'p', 'u', 's')
#define FLV_FOURCC_FLAC FLV_FOURCC ('f', 'L', 'a', 'C')
#define FLV_FOURCC_AC3 FLV_FOURCC ('a', 'c', '-', '3')
#define FLV_FOURCC_EAC3 FLV_FOURCC ('e', 'c', '-', '3')
#define FLV_FOURCC_MP3 FLV_FOURCC ('.', 'm', 'p', '3')
#define FLV_FOURCC_MP4A FLV_FOURCC ('m', 'p', '4', 'a')

/* VideoFrameType (legacy UB[4], Enhanced UB[3]) */
typedef enum
{
  FLV_FRAME_KEY = 1,
  FLV_FRAME_INTER = 2,
  FLV_FRAME_DISPOSABLE_INTER = 3, /* H.263 only */
  FLV_FRAME_GENERATED_KEY = 4, /* reserved for servers */
  FLV_FRAME_COMMAND = 5, /* video info / command frame */
} FlvFrameType;

/* Legacy VideoCodecID; 12 is not Adobe's but the HEVC id of the Chinese CDN
 * extension (SRS, nginx-http-flv, FFmpeg's FLV_CODECID_HEVC), read the AVC
 * way. */
typedef enum
{
  FLV_VIDEO_CODEC_ID_H263 = 2,
  FLV_VIDEO_CODEC_ID_SCREEN = 3,
  FLV_VIDEO_CODEC_ID_VP6 = 4,
  FLV_VIDEO_CODEC_ID_VP6A = 5,
  FLV_VIDEO_CODEC_ID_SCREEN2 = 6,
  FLV_VIDEO_CODEC_ID_AVC = 7,
  FLV_VIDEO_CODEC_ID_HEVC = 12,
} FlvVideoCodecId;

/* Legacy SoundFormat; 9 switches to the Enhanced RTMP audio header */
typedef enum
{
  FLV_SOUND_FORMAT_PCM = 0,
  FLV_SOUND_FORMAT_ADPCM = 1,
  FLV_SOUND_FORMAT_MP3 = 2,
  FLV_SOUND_FORMAT_PCM_LE = 3,
  FLV_SOUND_FORMAT_NELLYMOSER_16K_MONO = 4,
  FLV_SOUND_FORMAT_NELLYMOSER_8K_MONO = 5,
  FLV_SOUND_FORMAT_NELLYMOSER = 6,
  FLV_SOUND_FORMAT_G711_ALAW = 7,
  FLV_SOUND_FORMAT_G711_MULAW = 8,
  FLV_SOUND_FORMAT_EX_HEADER = 9,
  FLV_SOUND_FORMAT_AAC = 10,
  FLV_SOUND_FORMAT_SPEEX = 11,
  FLV_SOUND_FORMAT_MP3_8K = 14,
  FLV_SOUND_FORMAT_DEVICE_SPECIFIC = 15,
} FlvSoundFormat;

/* AVCPacketType (legacy AVC and HEVC) and AACPacketType */
typedef enum
{
  FLV_AVC_SEQUENCE_HEADER = 0,
  FLV_AVC_NALU = 1,
  FLV_AVC_END_OF_SEQUENCE = 2,
} FlvAvcPacketType;

typedef enum
{
  FLV_AAC_SEQUENCE_HEADER = 0,
  FLV_AAC_RAW = 1,
} FlvAacPacketType;

/* Enhanced RTMP VideoPacketType */
typedef enum
{
  FLV_EX_VIDEO_SEQUENCE_START = 0,
  FLV_EX_VIDEO_CODED_FRAMES = 1,
  FLV_EX_VIDEO_SEQUENCE_END = 2,
  FLV_EX_VIDEO_CODED_FRAMES_X = 3, /* composition time 0, not sent */
  FLV_EX_VIDEO_METADATA = 4, /* AMF body (colorInfo); frame type ignored */
  FLV_EX_VIDEO_MPEG2TS_SEQUENCE_START = 5,
  FLV_EX_VIDEO_MULTITRACK = 6,
  FLV_EX_VIDEO_MOD_EX = 7,
} FlvExVideoPacketType;

/* Enhanced RTMP AudioPacketType */
typedef enum
{
  FLV_EX_AUDIO_SEQUENCE_START = 0,
  FLV_EX_AUDIO_CODED_FRAMES = 1,
  FLV_EX_AUDIO_SEQUENCE_END = 2,
  FLV_EX_AUDIO_MULTICHANNEL_CONFIG = 4,
  FLV_EX_AUDIO_MULTITRACK = 5,
  FLV_EX_AUDIO_MOD_EX = 7,
} FlvExAudioPacketType;

/* AvMultitrackType */
typedef enum
{
  FLV_MULTITRACK_ONE_TRACK = 0,
  FLV_MULTITRACK_MANY_TRACKS = 1,
  FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS = 2,
} FlvMultitrackType;

/* One codec list for both header forms, to pick caps from. */
typedef enum
{
  FLV_CODEC_UNKNOWN = 0,
  /* video */
  FLV_CODEC_H263,
  FLV_CODEC_SCREEN,
  FLV_CODEC_VP6,
  FLV_CODEC_VP6A,
  FLV_CODEC_SCREEN2,
  FLV_CODEC_AVC,
  FLV_CODEC_HEVC,
  FLV_CODEC_VVC,
  FLV_CODEC_AV1,
  FLV_CODEC_VP8,
  FLV_CODEC_VP9,
  /* audio */
  FLV_CODEC_PCM,
  FLV_CODEC_ADPCM,
  FLV_CODEC_MP3,
  FLV_CODEC_PCM_LE,
  FLV_CODEC_NELLYMOSER_16K_MONO,
  FLV_CODEC_NELLYMOSER_8K_MONO,
  FLV_CODEC_NELLYMOSER,
  FLV_CODEC_G711_ALAW,
  FLV_CODEC_G711_MULAW,
  FLV_CODEC_AAC,
  FLV_CODEC_SPEEX,
  FLV_CODEC_MP3_8K,
  FLV_CODEC_DEVICE_SPECIFIC,
  FLV_CODEC_OPUS,
  FLV_CODEC_FLAC,
  FLV_CODEC_AC3,
  FLV_CODEC_EAC3,
} FlvCodec;

/* What the payload is, for the element's decisions. */
typedef enum
{
  FLV_PACKET_CODED, /* coded frames (or the whole body of old codecs) */
  FLV_PACKET_CONFIG, /* codec configuration: AAC/AVC/HEVC sequence header,
                        Enhanced SequenceStart or MPEG2TSSequenceStart */
  FLV_PACKET_END_OF_SEQUENCE, /* AVC end of sequence, Enhanced SequenceEnd */
  FLV_PACKET_COMMAND, /* video info/command frame (seek start/end) */
  FLV_PACKET_METADATA, /* Enhanced video Metadata (AMF, e.g. colorInfo) */
  FLV_PACKET_CHANNEL_CONFIG, /* Enhanced audio MultichannelConfig */
  FLV_PACKET_SILENCE, /* an empty audio message */
  FLV_PACKET_SCRIPT, /* a script data tag / AMF0 data message */
} FlvPacketKind;

/**
 * FlvTagInfo:
 * @tag_type: FLV_TAG_TYPE_AUDIO, _VIDEO or _SCRIPT
 * @kind: what the payload carries
 * @codec: the codec, from the legacy id or the FourCC; FLV_CODEC_UNKNOWN
 *   for ids we do not know, and for ManyTracksManyCodecs multitrack
 * @ex_header: Enhanced RTMP header (IsExHeader bit, or SoundFormat 9)
 * @fourcc: the Enhanced RTMP FourCC (0 with legacy headers)
 * @codec_id: the legacy VideoCodecID / SoundFormat (0 with Enhanced
 *   headers)
 * @frame_type: video: FlvFrameType (the 3 or 4 header bits); 0 for audio
 *   and script
 * @packet_type: AVCPacketType / AACPacketType for legacy AVC, HEVC and AAC,
 *   the Enhanced packet type (after ModEx, the track's type after
 *   Multitrack); -1 where there is none
 * @keyframe: TRUE for video key and generated key frames, and for every
 *   audio and script payload (they are all independently decodable)
 * @composition_time: milliseconds, PTS - DTS (signed 24 bits)
 * @header_size: bytes of (Ex)TagHeader, including the composition time;
 *   the codec's bytes (NALUs, configuration record, AAC frame ...) start at
 *   this offset. For multitrack packets, the track entries start here.
 * @sound_rate: legacy audio: SoundRate (0..3: 5.5, 11, 22, 44 kHz)
 * @sound_size: legacy audio: 0 = 8 bit, 1 = 16 bit
 * @sound_type: legacy audio: 0 = mono, 1 = stereo
 * @video_command: for FLV_PACKET_COMMAND: 0 start seek, 1 end seek
 * @multitrack: Enhanced multitrack packet (recognised, not split)
 * @multitrack_type: FlvMultitrackType when @multitrack
 * @nano_offset: Enhanced ModEx TimestampOffsetNano (nanoseconds to add to
 *   the millisecond timestamp), 0 if none
 */
typedef struct
{
  guint8 tag_type;
  FlvPacketKind kind;
  FlvCodec codec;
  gboolean ex_header;
  guint32 fourcc;
  guint8 codec_id;
  guint8 frame_type;
  gint packet_type;
  gboolean keyframe;
  gint32 composition_time;
  gsize header_size;
  guint8 sound_rate;
  guint8 sound_size;
  guint8 sound_type;
  guint8 video_command;
  gboolean multitrack;
  guint8 multitrack_type;
  guint32 nano_offset;
} FlvTagInfo;

/* Reads the tag header of a @type payload (FLV tag data / RTMP message
 * body). RTMP_ERROR_TRUNCATED when it ends inside the header,
 * RTMP_ERROR_UNKNOWN_TYPE for a tag type other than 8, 9, 18 or a reserved
 * Enhanced packet type (which, per the spec, cannot be skipped safely),
 * RTMP_ERROR_INVALID for a nested Multitrack. An unknown codec id or FourCC
 * is not an error (codec FLV_CODEC_UNKNOWN). */
gboolean flv_tag_info_parse (guint8 type, const guint8 *data, gsize size,
    FlvTagInfo *info, GError **error);

/* The same for a payload buffer: reads its first bytes with
 * gst_buffer_extract() (no map, no merge of its memories). */
gboolean flv_tag_info_parse_buffer (
    guint8 type, GstBuffer *payload, FlvTagInfo *info, GError **error);

const gchar *flv_codec_name (FlvCodec codec);
const gchar *flv_packet_kind_name (FlvPacketKind kind);

G_END_DECLS

#endif
