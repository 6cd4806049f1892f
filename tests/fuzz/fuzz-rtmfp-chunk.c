/* gst-rtmfp fuzz target: one chunk payload; the first byte picks the chunk
 * type, so every type (and the profile's certificates, EPDs and keying
 * components) gets its own corpus entries
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/gst.h>

#include "rtmfpchunk.h"
#include "rtmfp-fuzz-chunks.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  gboolean have_prev = TRUE;

  if (size < 1)
    return 0;
  fuzz_one_chunk (data[0], data + 1, size - 1, &have_prev);
  return 0;
}
