// gst-rg
// Copyright (C) 2026 gst-rg authors
//
// This library is free software; you can redistribute it and/or modify it
// under the terms of the GNU Lesser General Public License as published by
// the Free Software Foundation; either version 2.1 of the License, or (at
// your option) any later version. See COPYING.
//
// GstRg-1.0 from GJS: reads the journal named by the first argument with
// GstRg.JournalReader and prints, per record, what GstRgMeta holds:
// offset, meta.offset, meta.timestamp, number of user headers, the first
// header's name, the values of headers "camera" and "label" (by name), and
// the buffer's PTS, separated by spaces. gi_meta.py compares the lines with
// what it wrote.
imports.gi.versions.Gst = '1.0';
imports.gi.versions.GstRg = '1.0';
const Gst = imports.gi.Gst;
const GstRg = imports.gi.GstRg;

function text(bytes) {
    return bytes === null ? 'null' : new TextDecoder().decode(bytes.toArray());
}

Gst.init(null);
const reader = GstRg.journal_reader_open(ARGV[0]);
for (;;) {
    const [result, record] = reader.next_record(false, -1);
    if (result !== GstRg.JournalReadResult.OK)
        break;
    const meta = GstRg.buffer_get_meta(record.buffer);
    print([record.offset, meta.offset, meta.timestamp, meta.get_n_headers(),
        meta.get_header_name(0), text(meta.get_header('camera')),
        text(meta.get_header('label')), record.buffer.pts].join(' '));
}
