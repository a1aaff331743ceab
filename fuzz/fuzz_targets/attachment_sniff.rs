//! Uploaded files: any bytes and any name are sniffed and named without a panic, and a safe name
//! never carries a path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rendiconta::domain::attachment::{AttachmentKind, NewAttachment};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (name, bytes) = data.split_at(split);
    let name = String::from_utf8_lossy(name);
    if let Ok(new) = NewAttachment::check(AttachmentKind::Other, &name, bytes, 1 << 20) {
        let safe = new.file_name.as_str();
        assert!(!safe.contains('/') && !safe.contains('\\'), "{safe}");
        assert!(!safe.is_empty());
    }
});
