//! Payload compression (benchmark 8): the options issue 19 names, measured on the same
//! realistic lines in the same run. Plain bytes are the baseline; the figures are the stored size (payloads
//! only) over the raw size, compression speed, and the cost of reading back one entry at
//! random (what a page read or a search hit pays).

use std::time::Instant;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

/// zstd level for every option (the engine's level).
const LEVEL: i32 = 3;
/// Lines the dictionary is trained on (taken from the start; measured on the rest).
const TRAIN_LINES: usize = 2_000;
/// The dictionary's size in bytes.
const DICT_BYTES: usize = 32 * 1024;

struct Measured {
    key: String,
    name: String,
    stored: usize,
    mb_per_s: f64,
    one_entry_us: f64,
}

pub(crate) async fn bench_codec(ctx: &Ctx, rep: &mut Report) {
    let n = ctx.sizes.store_pool_lines.max(4 * TRAIN_LINES as u32);
    let out = ctx.std_command(&["lines", &n.to_string(), "--json"]).output().expect("run the fake agent");
    let lines: Vec<&[u8]> = out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let (train, test) = lines.split_at(TRAIN_LINES);
    let raw: usize = test.iter().map(|l| l.len()).sum();
    let t = Instant::now();
    let dict = zstd::dict::from_samples(train, DICT_BYTES).expect("train a dictionary");
    let train_ms = ms(t.elapsed());
    let mut all =
        vec![Measured { key: "plain".into(), name: "plain (baseline)".into(), stored: raw, mb_per_s: f64::INFINITY, one_entry_us: 0.0 }];
    all.push(per_entry(test, None));
    all.push(per_entry(test, Some(&dict)));
    for k in [8, 32, 128] {
        all.push(chunked(test, k));
    }
    let whole = zstd::bulk::compress(&test.concat(), LEVEL).expect("compress").len();
    for m in &all[1..] {
        rep.row(
            &format!("codec.{}", m.key),
            &format!("8. Compression: {}", m.name),
            format!(
                "{} of {} ({:.0} MB/s, one entry back in {:.1} µs)",
                human_bytes(m.stored as u64),
                human_bytes(raw as u64),
                m.mb_per_s,
                m.one_entry_us
            ),
            format!("plain {}; the whole stream as one zstd -3 frame: {:.3} ×", human_bytes(raw as u64), whole as f64 / raw as f64),
            format!("{:.3} ×", m.stored as f64 / raw as f64),
            "context",
            None,
            m.stored as f64 / raw as f64,
            "x",
            Some(1.0),
            "",
        );
    }
    rep.how(
        "8. Compression",
        format!(
            "{} stream-json lines of the fake agent (`lines N --json`): the first {TRAIN_LINES} train a {} KiB zstd dictionary \
             ({train_ms:.0} ms), the other {} ({}) are compressed at level {LEVEL}: each entry alone, each entry with the \
             dictionary, and chunks of 8, 32 and 128 consecutive entries. Sizes count payload bytes only (row overhead is the \
             store benchmark's). Reading one entry back: the mean over every entry of decompressing what holds it (the whole \
             chunk for chunks).",
            lines.len(),
            DICT_BYTES / 1024,
            test.len(),
            human_bytes(raw as u64)
        ),
    );
}

fn per_entry(lines: &[&[u8]], dict: Option<&[u8]>) -> Measured {
    let mut c = match dict {
        Some(d) => zstd::bulk::Compressor::with_dictionary(LEVEL, d),
        None => zstd::bulk::Compressor::new(LEVEL),
    }
    .expect("compressor");
    let t = Instant::now();
    let frames: Vec<Vec<u8>> = lines.iter().map(|l| c.compress(l).expect("compress")).collect();
    let secs = t.elapsed().as_secs_f64();
    let mut d = match dict {
        Some(d) => zstd::bulk::Decompressor::with_dictionary(d),
        None => zstd::bulk::Decompressor::new(),
    }
    .expect("decompressor");
    let t = Instant::now();
    for (f, l) in frames.iter().zip(lines) {
        let back = d.decompress(f, l.len()).expect("decompress");
        assert_eq!(back.len(), l.len());
    }
    let one = t.elapsed().as_secs_f64() * 1e6 / lines.len() as f64;
    let raw: usize = lines.iter().map(|l| l.len()).sum();
    let (key, name) = if dict.is_some() { ("entry_dict", "per-entry, with a dictionary") } else { ("entry", "per-entry, no dictionary") };
    Measured {
        key: key.into(),
        name: name.into(),
        stored: frames.iter().map(Vec::len).sum(),
        mb_per_s: raw as f64 / MB / secs,
        one_entry_us: one,
    }
}

fn chunked(lines: &[&[u8]], k: usize) -> Measured {
    let mut c = zstd::bulk::Compressor::new(LEVEL).expect("compressor");
    let t = Instant::now();
    let chunks: Vec<(Vec<u8>, usize)> = lines
        .chunks(k)
        .map(|ch| {
            let joined = ch.join(&b'\n');
            (c.compress(&joined).expect("compress"), joined.len())
        })
        .collect();
    let secs = t.elapsed().as_secs_f64();
    let mut d = zstd::bulk::Decompressor::new().expect("decompressor");
    let t = Instant::now();
    for (f, len) in &chunks {
        // Every entry of the chunk pays for the whole chunk.
        for _ in 0..k {
            std::hint::black_box(d.decompress(f, *len).expect("decompress"));
        }
    }
    let one = t.elapsed().as_secs_f64() * 1e6 / (chunks.len() * k) as f64;
    let raw: usize = lines.iter().map(|l| l.len()).sum();
    Measured {
        key: format!("chunks_{k}"),
        name: format!("chunks of {k} consecutive entries"),
        stored: chunks.iter().map(|c| c.0.len()).sum(),
        mb_per_s: raw as f64 / MB / secs,
        one_entry_us: one,
    }
}
