"""The PDQ oracle for LooksPDQ: Meta's reference, through the pdqhash package.

  pdq_oracle.py raw FILE WIDTH HEIGHT   hash packed RGB24 pixels (numpy.fromfile)
  pdq_oracle.py decode FILE             decode FILE with ffmpeg at full size, then hash

Prints the hash as Meta's 64 hex digits (bit 255 first) and the quality.
"""

import subprocess
import sys

import numpy
import pdqhash


def pixels_of(path):
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout.strip()
    width, height = (int(value) for value in probe.split(",")[:2])
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(height, width, 3)


def main():
    if sys.argv[1] == "raw":
        width, height = int(sys.argv[3]), int(sys.argv[4])
        image = numpy.fromfile(sys.argv[2], dtype=numpy.uint8).reshape(height, width, 3)
    else:
        image = pixels_of(sys.argv[2])
    bits, quality = pdqhash.compute(numpy.ascontiguousarray(image))
    print(numpy.packbits(bits.astype(numpy.uint8)).tobytes().hex(), quality)


main()
