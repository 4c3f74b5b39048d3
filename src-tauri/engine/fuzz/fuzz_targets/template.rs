#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hooky_engine_fuzz::check_template(data));
