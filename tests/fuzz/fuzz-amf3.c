/* gst-rtmpe: libFuzzer target for the AMF3 decoder and encoder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * As fuzz-amf0, with AMF3 values.
 */
#include "amf.h"
#include "fuzzamf.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  fuzz_amf_round_trip (data, size, amf3_decode_sequence, amf3_encode_sequence);
  return 0;
}
