/* gst-rtmfp fuzz target: a decrypted packet (flags, timestamps, chunks)
 * and every chunk in it, through the parsers the session uses
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/gst.h>

#include "rtmfpchunk.h"
#include "rtmfppacket.h"
#include "rtmfp-fuzz-chunks.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  RtmfpPacketHeader h;
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *p;
  gsize len;
  gboolean have_prev = FALSE;

  (void) rtmfp_checksum (data, size);
  if (!rtmfp_packet_header_parse (data, size, &h))
    return 0;
  rtmfp_chunk_iter_init (&it, data + h.chunks_off, size - h.chunks_off);
  while (rtmfp_chunk_iter_next (&it, &type, &p, &len)) {
    g_assert (p + len <= data + size);
    fuzz_one_chunk (type, p, len, &have_prev);
  }
  return 0;
}
