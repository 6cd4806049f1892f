/* gst-rtmpe: libFuzzer target for the AMF0 decoder and encoder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decodes the input as a sequence of AMF0 values; when that succeeds, the
 * values are encoded, decoded again (which must succeed and give equal
 * values) and encoded again (which must give the same bytes: the encoder
 * is canonical).
 */
#include "amf.h"
#include "fuzzamf.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  fuzz_amf_round_trip (data, size, amf0_decode_sequence, amf0_encode_sequence);
  return 0;
}
