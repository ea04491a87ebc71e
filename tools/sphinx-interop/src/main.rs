//! sphinx-interop: runs Nym's `sphinx-packet` crate, at 0.1.0 and at the release the Nym workspace
//! pins today (0.6.0), to produce known-answer data for nym-cpp's Sphinx tests and to time the
//! crate beside nym-cpp's benchmarks.
//!
//!   sphinx-interop vectors --out FILE.json
//!   sphinx-interop bench [--json] [--payload-size N] [--reps N] [--min-time-ms N]
//!
//! Every packet, per-hop output, SURB and error in the vectors comes from the crate itself. Two
//! values the crate draws from the OS and keeps private are read back: the final hop's random
//! padding (decrypted from the final hop's routing information with that hop's stream key) and
//! each hop's HKDF output (recomputed here and checked against what the crate exposes: 0.1.0's
//! routing keys and 0.6.0's replay tag).

mod json;

use hkdf::Hkdf;
use json::Json;
use sha2::{Digest, Sha256};
use std::time::Instant;

use sphinx_v010 as v010;
use sphinx_v060 as v060;

const HEADER_SIZE: usize = 348;
const BETA_OFFSET: usize = 48;
const ROUTING_SLOT: usize = 60;
const BETA_SIZE: usize = 300;
const FINAL_META: usize = 52;
const HKDF_INFO: &[u8] =
    b"Dwste mou enan moxlo arketa makru kai ena upomoxlio gia na ton topothetisw kai tha kinisw thn gh.";
const EXPANDED_LEN: usize = 288;

// ------------------------------------------------------------------------------------------------
// Fixed inputs: SHA-256(label || u32 BE counter) blocks, truncated.

fn fixed(label: &str, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 32);
    let mut counter: u32 = 0;
    while out.len() < n {
        let mut h = Sha256::new();
        h.update(b"nym-cpp/sphinx-interop/v1/");
        h.update(label.as_bytes());
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(n);
    out
}

fn arr32(v: &[u8]) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(&v[..32]);
    a
}

fn arr16(v: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&v[..16]);
    a
}

fn clamp(mut k: [u8; 32]) -> [u8; 32] {
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    k
}

fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}

fn version_bytes(v: u16) -> [u8; 3] {
    let b = v.to_be_bytes();
    [0, b[0], b[1]]
}

/// HKDF-SHA256(salt = none, ikm = s, info = the crate's 97-byte string), 288 bytes.
fn expand(shared_secret: &[u8; 32]) -> [u8; EXPANDED_LEN] {
    let hk = Hkdf::<Sha256>::new(Some(b""), shared_secret);
    let mut okm = [0u8; EXPANDED_LEN];
    hk.expand(HKDF_INFO, &mut okm).expect("288 bytes is a valid HKDF length");
    okm
}

fn die(msg: String) -> ! {
    eprintln!("sphinx-interop: {msg}");
    std::process::exit(1);
}

// ------------------------------------------------------------------------------------------------
// The two crates behind one interface.

#[derive(Clone, Copy, PartialEq)]
enum Crate {
    V010,
    V060,
}

impl Crate {
    fn name(self) -> &'static str {
        match self {
            Crate::V010 => "0.1.0",
            Crate::V060 => "0.6.0",
        }
    }
}

struct Inputs {
    initial_secret: [u8; 32],
    node_keys: Vec<[u8; 32]>,
    node_addresses: Vec<[u8; 32]>,
    delays: Vec<u64>,
    destination: [u8; 32],
    surb_id: [u8; 16],
    message: Vec<u8>,
    payload_size: usize,
}

fn public_key(c: Crate, sk: &[u8; 32]) -> [u8; 32] {
    match c {
        Crate::V010 => {
            let k = v010::crypto::PrivateKey::from(*sk);
            *v010::crypto::PublicKey::from(&k).as_bytes()
        }
        Crate::V060 => {
            let k = v060::crypto::PrivateKey::from(*sk);
            *v060::crypto::PublicKey::from(&k).as_bytes()
        }
    }
}

fn route_v010(inp: &Inputs) -> Vec<v010::route::Node> {
    inp.node_keys
        .iter()
        .zip(&inp.node_addresses)
        .map(|(sk, addr)| {
            v010::route::Node::new(
                v010::route::NodeAddressBytes::from_bytes(*addr),
                v010::crypto::PublicKey::from(public_key(Crate::V010, sk)),
            )
        })
        .collect()
}

fn route_v060(inp: &Inputs) -> Vec<v060::route::Node> {
    inp.node_keys
        .iter()
        .zip(&inp.node_addresses)
        .map(|(sk, addr)| {
            v060::route::Node::new(
                v060::route::NodeAddressBytes::from_bytes(*addr),
                v060::crypto::PublicKey::from(public_key(Crate::V060, sk)),
            )
        })
        .collect()
}

fn build(c: Crate, version: u16, inp: &Inputs) -> Vec<u8> {
    match c {
        Crate::V010 => {
            let secret = v010::crypto::PrivateKey::from(inp.initial_secret);
            let dest = v010::route::Destination::new(
                v010::route::DestinationAddressBytes::from_bytes(inp.destination),
                inp.surb_id,
            );
            let delays: Vec<_> = inp.delays.iter().map(|d| v010::header::delays::Delay::new_from_nanos(*d)).collect();
            v010::SphinxPacketBuilder::new()
                .with_payload_size(inp.payload_size)
                .with_initial_secret(&secret)
                .build_packet(&inp.message, &route_v010(inp), &dest, &delays)
                .unwrap_or_else(|e| die(format!("0.1.0 build: {e:?}")))
                .to_bytes()
        }
        Crate::V060 => {
            let secret = v060::crypto::PrivateKey::from(inp.initial_secret);
            let dest = v060::route::Destination::new(
                v060::route::DestinationAddressBytes::from_bytes(inp.destination),
                inp.surb_id,
            );
            let delays: Vec<_> = inp.delays.iter().map(|d| v060::header::delays::Delay::new_from_nanos(*d)).collect();
            v060::SphinxPacketBuilder::new()
                .with_version(v060::version::Version::new(version))
                .with_payload_size(inp.payload_size)
                .with_initial_secret(&secret)
                .build_packet(&inp.message, &route_v060(inp), &dest, &delays)
                .unwrap_or_else(|e| die(format!("0.6.0 build: {e:?}")))
                .to_bytes()
        }
    }
}

/// SURB created (0.6.0: with `version`), serialized, parsed back and used.
fn surb(c: Crate, version: u16, inp: &Inputs) -> (Vec<u8>, Vec<u8>, [u8; 32]) {
    match c {
        Crate::V010 => {
            let dest = v010::route::Destination::new(
                v010::route::DestinationAddressBytes::from_bytes(inp.destination),
                inp.surb_id,
            );
            let delays: Vec<_> = inp.delays.iter().map(|d| v010::header::delays::Delay::new_from_nanos(*d)).collect();
            let material = v010::SURBMaterial::new(route_v010(inp), delays, dest);
            let s = v010::SURB::new(v010::crypto::PrivateKey::from(inp.initial_secret), material)
                .unwrap_or_else(|e| die(format!("0.1.0 SURB: {e:?}")));
            let bytes = s.to_bytes();
            let parsed = v010::SURB::from_bytes(&bytes).unwrap_or_else(|e| die(format!("0.1.0 SURB parse: {e:?}")));
            let (packet, first) = parsed
                .use_surb(&inp.message, inp.payload_size)
                .unwrap_or_else(|e| die(format!("0.1.0 use_surb: {e:?}")));
            (bytes, packet.to_bytes(), first.as_bytes())
        }
        Crate::V060 => {
            let dest = v060::route::Destination::new(
                v060::route::DestinationAddressBytes::from_bytes(inp.destination),
                inp.surb_id,
            );
            let delays: Vec<_> = inp.delays.iter().map(|d| v060::header::delays::Delay::new_from_nanos(*d)).collect();
            let material = v060::SURBMaterial::new(route_v060(inp), delays, dest)
                .with_version(v060::version::Version::new(version));
            let s = v060::SURB::new(v060::crypto::PrivateKey::from(inp.initial_secret), material)
                .unwrap_or_else(|e| die(format!("0.6.0 SURB: {e:?}")));
            let bytes = s.to_bytes();
            let parsed = v060::SURB::from_bytes(&bytes).unwrap_or_else(|e| die(format!("0.6.0 SURB parse: {e:?}")));
            let (packet, first) = parsed
                .use_surb(&inp.message, inp.payload_size)
                .unwrap_or_else(|e| die(format!("0.6.0 use_surb: {e:?}")));
            (bytes, packet.to_bytes(), first.to_bytes())
        }
    }
}

enum Outcome {
    Forward { next: [u8; 32], delay: u64, packet: Vec<u8> },
    Final { destination: [u8; 32], surb_id: [u8; 16], payload: Vec<u8>, plaintext: Result<Vec<u8>, String> },
    Error { kind: String, message: String },
}

struct Hop {
    input: Vec<u8>,
    shared_secret: [u8; 32],
    expanded: [u8; EXPANDED_LEN],
    /// What the crate reports (0.6.0 only).
    version: Option<u16>,
    replay_tag: Option<[u8; 32]>,
    outcome: Outcome,
}

fn process(c: Crate, input: &[u8], sk: &[u8; 32]) -> Hop {
    let alpha = arr32(&input[..32]);
    match c {
        Crate::V010 => {
            let key = v010::crypto::PrivateKey::from(*sk);
            let shared = *key.diffie_hellman(&v010::crypto::PublicKey::from(alpha)).as_bytes();
            let expanded = expand(&shared);
            // Our HKDF against the crate's own routing keys.
            let rk = v010::header::SphinxHeader::compute_routing_keys(&v010::crypto::PublicKey::from(alpha), &key);
            let mut theirs = Vec::new();
            theirs.extend_from_slice(&rk.stream_cipher_key);
            theirs.extend_from_slice(&rk.header_integrity_hmac_key);
            theirs.extend_from_slice(&rk.payload_key);
            theirs.extend_from_slice(&rk.blinding_factor);
            if theirs[..] != expanded[..256] {
                die("HKDF output differs from sphinx-packet 0.1.0's routing keys".into());
            }
            let packet = v010::SphinxPacket::from_bytes(input).unwrap_or_else(|e| die(format!("0.1.0 from_bytes: {e:?}")));
            let outcome = match packet.process(&key) {
                Ok(v010::ProcessedPacket::ForwardHop(next, addr, delay)) => {
                    Outcome::Forward { next: addr.as_bytes(), delay: delay.to_nanos(), packet: next.to_bytes() }
                }
                Ok(v010::ProcessedPacket::FinalHop(dest, id, payload)) => {
                    let bytes = payload.as_bytes().to_vec();
                    Outcome::Final {
                        destination: dest.as_bytes(),
                        surb_id: id,
                        payload: bytes,
                        plaintext: payload.recover_plaintext().map_err(|e| format!("{e:?}")),
                    }
                }
                Err(e) => Outcome::Error { kind: format!("{:?}", e.kind()), message: e.to_string() },
            };
            Hop { input: input.to_vec(), shared_secret: shared, expanded, version: None, replay_tag: None, outcome }
        }
        Crate::V060 => {
            let key = v060::crypto::PrivateKey::from(*sk);
            let shared = *key.diffie_hellman(&v060::crypto::PublicKey::from(alpha)).as_bytes();
            let expanded = expand(&shared);
            let packet = v060::SphinxPacket::from_bytes(input).unwrap_or_else(|e| die(format!("0.6.0 from_bytes: {e:?}")));
            let tag = *packet.header.compute_expanded_shared_secret(&key).replay_tag();
            if tag[..] != expanded[256..] {
                die("HKDF output differs from sphinx-packet 0.6.0's replay tag".into());
            }
            let (version, outcome) = match packet.process(&key) {
                Ok(p) => {
                    let v = p.version.value();
                    let o = match p.data {
                        v060::ProcessedPacketData::ForwardHop { next_hop_packet, next_hop_address, delay } => {
                            Outcome::Forward {
                                next: next_hop_address.to_bytes(),
                                delay: delay.to_nanos(),
                                packet: next_hop_packet.to_bytes(),
                            }
                        }
                        v060::ProcessedPacketData::FinalHop { destination, identifier, payload } => {
                            let bytes = payload.as_bytes().to_vec();
                            Outcome::Final {
                                destination: destination.as_bytes(),
                                surb_id: identifier,
                                payload: bytes,
                                plaintext: payload.recover_plaintext().map_err(|e| format!("{e:?}")),
                            }
                        }
                    };
                    (Some(v), o)
                }
                Err(e) => (None, Outcome::Error { kind: format!("{:?}", e.kind()), message: e.to_string() }),
            };
            Hop { input: input.to_vec(), shared_secret: shared, expanded, version, replay_tag: Some(tag), outcome }
        }
    }
}

/// Processes `packet` hop by hop until the final hop or an error.
fn run_route(c: Crate, packet: Vec<u8>, keys: &[[u8; 32]]) -> Vec<Hop> {
    let mut hops = Vec::new();
    let mut current = packet;
    for sk in keys {
        let hop = process(c, &current, sk);
        let next = match &hop.outcome {
            Outcome::Forward { packet, .. } => Some(packet.clone()),
            _ => None,
        };
        hops.push(hop);
        match next {
            Some(p) => current = p,
            None => break,
        }
    }
    hops
}

/// The final hop's routing plaintext flag ‖ version ‖ destination ‖ id ‖ padding, read back with the
/// final hop's stream key; returns the padding.
fn recover_padding(final_hop: &Hop, route_len: usize, version: [u8; 3]) -> Vec<u8> {
    let len = BETA_SIZE - ROUTING_SLOT * (route_len - 1);
    let key = arr16(&final_hop.expanded[..16]);
    let ks = v060::crypto::generate_pseudorandom_bytes(&key, &[0u8; 16], 360);
    let plain: Vec<u8> = final_hop.input[BETA_OFFSET..BETA_OFFSET + len].iter().zip(&ks).map(|(a, b)| a ^ b).collect();
    if plain[0] != 2 || plain[1..4] != version {
        die(format!("final hop routing info does not start with 02 {}", hex(&version)));
    }
    plain[FINAL_META..].to_vec()
}

// ------------------------------------------------------------------------------------------------
// Vectors

struct CaseSpec {
    name: &'static str,
    krate: Crate,
    /// The version the crate is asked to write (0.6.0); 0.1.0 always writes 00 01 00.
    version: u16,
    route_len: usize,
    payload_size: usize,
    message_len: usize,
    surb: bool,
}

fn inputs_for(spec: &CaseSpec) -> Inputs {
    let label = |f: &str| format!("{}/{}", spec.name, f);
    let mut initial_secret = arr32(&fixed(&label("initial_secret"), 32));
    // 0.6.0 builds its legacy versions from the raw secret reduced mod l without clamping (0.1.0
    // clamps it first); a secret given already clamped gives the same packet either way.
    if spec.krate == Crate::V060 && (spec.version == 1 || spec.version == 257) {
        initial_secret = clamp(initial_secret);
    }
    let mut delays: Vec<u64> = (0..spec.route_len)
        .map(|i| u64::from_be_bytes(fixed(&label(&format!("delay{i}")), 8).try_into().unwrap()) >> 24)
        .collect();
    if spec.route_len >= 2 {
        delays[0] = 0x0102030405060708;
    }
    if spec.route_len >= 3 {
        delays[1] = 0;
    }
    Inputs {
        initial_secret,
        node_keys: (0..spec.route_len).map(|i| arr32(&fixed(&label(&format!("node{i}/private_key")), 32))).collect(),
        node_addresses: (0..spec.route_len).map(|i| arr32(&fixed(&label(&format!("node{i}/address")), 32))).collect(),
        delays,
        destination: arr32(&fixed(&label("destination"), 32)),
        surb_id: arr16(&fixed(&label("surb_id"), 16)),
        message: fixed(&label("message"), spec.message_len),
        payload_size: spec.payload_size,
    }
}

fn hop_json(c: Crate, i: usize, h: &Hop, address: &[u8; 32]) -> Json {
    let mut o = Json::obj();
    o.set("hop", Json::num(i as u64));
    o.set("node_address", Json::hex(address));
    o.set("input_packet", Json::hex(&h.input));
    o.set("shared_secret", Json::hex(&h.shared_secret));
    // 0.1.0 derives 256 bytes; 0.6.0 derives 288, the last 32 being the replay tag.
    let expanded: &[u8] = if c == Crate::V010 { &h.expanded[..256] } else { &h.expanded[..] };
    o.set("expanded_shared_secret", Json::hex(expanded));
    if let Some(v) = h.version {
        o.set("version", Json::num(v as u64));
    }
    if let Some(t) = &h.replay_tag {
        o.set("replay_tag", Json::hex(t));
    }
    match &h.outcome {
        Outcome::Forward { next, delay, packet } => {
            o.set("result", Json::str("forward"));
            o.set("next_hop_address", Json::hex(next));
            o.set("delay_ns", Json::str(&delay.to_string()));
            o.set("output_packet", Json::hex(packet));
        }
        Outcome::Final { destination, surb_id, payload, plaintext } => {
            o.set("result", Json::str("final"));
            o.set("destination_address", Json::hex(destination));
            o.set("surb_identifier", Json::hex(surb_id));
            o.set("final_payload", Json::hex(payload));
            match plaintext {
                Ok(p) => o.set("recovered_plaintext", Json::hex(p)),
                Err(e) => o.set("plaintext_error", Json::str(e)),
            }
        }
        Outcome::Error { kind, message } => {
            o.set("result", Json::str("error"));
            o.set("error_kind", Json::str(kind));
            o.set("error", Json::str(message));
        }
    }
    o
}

fn inputs_json(c: Crate, inp: &Inputs) -> Json {
    let mut o = Json::obj();
    o.set("initial_secret", Json::hex(&inp.initial_secret));
    let nodes = inp
        .node_keys
        .iter()
        .zip(&inp.node_addresses)
        .map(|(sk, addr)| {
            let mut n = Json::obj();
            n.set("address", Json::hex(addr));
            n.set("private_key", Json::hex(sk));
            n.set("public_key", Json::hex(&public_key(c, sk)));
            n
        })
        .collect();
    o.set("nodes", Json::Arr(nodes));
    o.set("delays_ns", Json::Arr(inp.delays.iter().map(|d| Json::str(&d.to_string())).collect()));
    o.set("destination_address", Json::hex(&inp.destination));
    o.set("surb_identifier", Json::hex(&inp.surb_id));
    o.set("message", Json::hex(&inp.message));
    o.set("payload_size", Json::num(inp.payload_size as u64));
    o
}

fn check_route(spec: &CaseSpec, inp: &Inputs, hops: &[Hop], version: [u8; 3]) {
    if hops.len() != spec.route_len {
        die(format!("{}: the crate stopped at hop {}", spec.name, hops.len() - 1));
    }
    match &hops.last().unwrap().outcome {
        Outcome::Final { plaintext: Ok(p), destination, .. } if *p == inp.message && *destination == inp.destination => {}
        _ => die(format!("{}: the final hop did not recover the message", spec.name)),
    }
    for h in hops {
        if let Some(v) = h.version {
            if version_bytes(v) != version {
                die(format!("{}: the crate reported version {v}", spec.name));
            }
        }
    }
}

fn case_json(spec: &CaseSpec) -> Json {
    let inp = inputs_for(spec);
    let version = match spec.krate {
        Crate::V010 => [0, 1, 0],
        Crate::V060 => version_bytes(spec.version),
    };
    let mut o = Json::obj();
    o.set("name", Json::str(spec.name));
    o.set("crate_version", Json::str(spec.krate.name()));
    o.set("version_bytes", Json::hex(&version));
    o.set("route_len", Json::num(spec.route_len as u64));
    o.set("payload_size", Json::num(spec.payload_size as u64));
    o.set("inputs", inputs_json(spec.krate, &inp));

    let packet = if spec.surb {
        let (bytes, packet, first) = surb(spec.krate, spec.version, &inp);
        if first != inp.node_addresses[0] {
            die(format!("{}: SURB first hop differs", spec.name));
        }
        o.set("surb_bytes", Json::hex(&bytes));
        o.set("surb_first_hop_address", Json::hex(&first));
        packet
    } else {
        build(spec.krate, spec.version, &inp)
    };
    let hops = run_route(spec.krate, packet.clone(), &inp.node_keys);
    check_route(spec, &inp, &hops, version);
    o.set("final_hop_padding", Json::hex(&recover_padding(hops.last().unwrap(), spec.route_len, version)));
    o.set("packet", Json::hex(&packet));
    // What a sender's payload encryption uses, per hop in route order: 0.6.0's seed-based versions
    // take HKDF bytes 32..48 as a seed and expand it (the crate's derive_payload_key); the others take
    // HKDF bytes 32..224 directly.
    if spec.krate == Crate::V060 {
        let seeds: Vec<Json> = hops.iter().map(|h| Json::hex(&h.expanded[32..48])).collect();
        let keys: Vec<Json> = hops
            .iter()
            .map(|h| Json::hex(&v060::payload::key::derive_payload_key(&arr16(&h.expanded[32..48]))))
            .collect();
        o.set("payload_key_seeds", Json::Arr(seeds));
        o.set("seed_derived_payload_keys", Json::Arr(keys));
    }
    o.set(
        "hops",
        Json::Arr(hops.iter().enumerate().map(|(i, h)| hop_json(spec.krate, i, h, &inp.node_addresses[i])).collect()),
    );
    o
}

/// A packet with one byte flipped, processed by the crate at hop 0.
fn negative_json(name: &str, base: &CaseSpec, offset: usize, xor: u8) -> Json {
    let inp = inputs_for(base);
    let mut packet = build(base.krate, base.version, &inp);
    packet[offset] ^= xor;
    let hop = process(base.krate, &packet, &inp.node_keys[0]);
    let mut o = Json::obj();
    o.set("name", Json::str(name));
    o.set("base_vector", Json::str(base.name));
    o.set("crate_version", Json::str(base.krate.name()));
    o.set("offset", Json::num(offset as u64));
    o.set("xor", Json::num(xor as u64));
    o.set("node_private_key", Json::hex(&inp.node_keys[0]));
    o.set("hop", hop_json(base.krate, 0, &hop, &inp.node_addresses[0]));
    o
}

fn vectors(out: &str) {
    let specs = [
        // sphinx-packet 0.1.0: version 00 01 00
        CaseSpec { name: "v010_route3", krate: Crate::V010, version: 256, route_len: 3, payload_size: 1024, message_len: 200, surb: false },
        CaseSpec { name: "v010_route4_regular", krate: Crate::V010, version: 256, route_len: 4, payload_size: 2065, message_len: 2048, surb: false },
        CaseSpec { name: "v010_surb_route3", krate: Crate::V010, version: 256, route_len: 3, payload_size: 1024, message_len: 300, surb: true },
        // sphinx-packet 0.6.0, current version 00 01 03 (payload keys from seeds)
        CaseSpec { name: "v060_v259_route1", krate: Crate::V060, version: 259, route_len: 1, payload_size: 1024, message_len: 32, surb: false },
        CaseSpec { name: "v060_v259_route3", krate: Crate::V060, version: 259, route_len: 3, payload_size: 1024, message_len: 200, surb: false },
        CaseSpec { name: "v060_v259_route4_regular", krate: Crate::V060, version: 259, route_len: 4, payload_size: 2065, message_len: 2048, surb: false },
        CaseSpec { name: "v060_v259_route5_empty", krate: Crate::V060, version: 259, route_len: 5, payload_size: 1024, message_len: 0, surb: false },
        CaseSpec { name: "v060_v259_surb_route3", krate: Crate::V060, version: 259, route_len: 3, payload_size: 1024, message_len: 300, surb: true },
        CaseSpec { name: "v060_v259_surb_route4_regular", krate: Crate::V060, version: 259, route_len: 4, payload_size: 2065, message_len: 1500, surb: true },
        // 00 01 02: X25519 blinding, full payload keys (what Nym's clients build by default)
        CaseSpec { name: "v060_v258_route3", krate: Crate::V060, version: 258, route_len: 3, payload_size: 1024, message_len: 200, surb: false },
        CaseSpec { name: "v060_v258_route4_regular", krate: Crate::V060, version: 258, route_len: 4, payload_size: 2065, message_len: 2048, surb: false },
        CaseSpec { name: "v060_v258_surb_route4", krate: Crate::V060, version: 258, route_len: 4, payload_size: 2065, message_len: 100, surb: true },
        // 00 01 01: 0.6.0's legacy derivation
        CaseSpec { name: "v060_v257_route3", krate: Crate::V060, version: 257, route_len: 3, payload_size: 1024, message_len: 200, surb: false },
        // a version 0.6.0 does not know: it builds and processes it as the current one
        CaseSpec { name: "v060_v260_route2", krate: Crate::V060, version: 260, route_len: 2, payload_size: 1024, message_len: 10, surb: false },
    ];
    let mut cases = Vec::new();
    let mut surbs = Vec::new();
    for s in &specs {
        eprintln!("sphinx-interop: {}", s.name);
        let j = case_json(s);
        if s.surb {
            surbs.push(j)
        } else {
            cases.push(j)
        }
    }

    let negatives = vec![
        negative_json("v060_v259_flip_header_mac", &specs[4], 40, 0x01),
        negative_json("v060_v259_flip_beta", &specs[4], 200, 0x80),
        negative_json("v060_v259_flip_alpha", &specs[4], 5, 0x04),
    ];

    // A 0.1.0 packet (00 01 00) given to 0.6.0 nodes: 0.6.0 counts only 00 00 01 and 00 01 01 as
    // legacy, so it blinds and derives the payload key as for the current version.
    let cross_spec = &specs[0];
    let cross_inp = inputs_for(cross_spec);
    let cross_packet = build(Crate::V010, 256, &cross_inp);
    let cross_hops = run_route(Crate::V060, cross_packet.clone(), &cross_inp.node_keys);
    let v010_first = process(Crate::V010, &cross_packet, &cross_inp.node_keys[0]);
    let mut cross = Json::obj();
    cross.set("name", Json::str("v010_packet_through_v060_nodes"));
    cross.set("base_vector", Json::str(cross_spec.name));
    cross.set("packet", Json::hex(&cross_packet));
    // The same packet's first hop at a 0.1.0 node, for comparison.
    cross.set("v010_first_hop", hop_json(Crate::V010, 0, &v010_first, &cross_inp.node_addresses[0]));
    cross.set(
        "hops",
        Json::Arr(cross_hops.iter().enumerate().map(|(i, h)| hop_json(Crate::V060, i, h, &cross_inp.node_addresses[i])).collect()),
    );

    let mut constants = Json::obj();
    constants.set("header_size", Json::num(HEADER_SIZE as u64));
    constants.set("expanded_shared_secret_length_v060", Json::num(EXPANDED_LEN as u64));
    constants.set("hkdf_info_hex", Json::hex(HKDF_INFO));
    constants.set("payload_key_hkdf_salt_hex", Json::hex(v060::constants::PAYLOAD_KEY_HKDF_SALT));
    constants.set("payload_key_hkdf_info_hex", Json::hex(v060::constants::PAYLOAD_KEY_HKDF_INFO));
    let versions = [
        ("INITIAL_LEGACY_VERSION", v060::version::INITIAL_LEGACY_VERSION),
        ("UPDATED_LEGACY_VERSION", v060::version::UPDATED_LEGACY_VERSION),
        ("X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION", v060::version::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION),
        ("PAYLOAD_KEYS_SEEDS_VERSION", v060::version::PAYLOAD_KEYS_SEEDS_VERSION),
        ("CURRENT_VERSION", v060::version::CURRENT_VERSION),
    ];
    let mut vj = Json::obj();
    for (n, v) in versions {
        vj.set(n, Json::hex(&v.to_bytes()));
    }
    constants.set("v060_versions", vj);

    let mut root = Json::obj();
    root.set("format", Json::str("nym-cpp/sphinx-interop/v1"));
    let mut source = Json::obj();
    source.set("crates", Json::Arr(vec![Json::str("sphinx-packet 0.1.0"), Json::str("sphinx-packet 0.6.0")]));
    source.set("generator", Json::str("tools/sphinx-interop"));
    root.set("source", source);
    root.set("constants", constants);
    root.set("vectors", Json::Arr(cases));
    root.set("surb_vectors", Json::Arr(surbs));
    root.set("negative_vectors", Json::Arr(negatives));
    root.set("cross_version", Json::Arr(vec![cross]));

    let text = root.to_string();
    let tmp = format!("{out}.tmp");
    std::fs::write(&tmp, text).unwrap_or_else(|e| die(format!("write {tmp}: {e}")));
    std::fs::rename(&tmp, out).unwrap_or_else(|e| die(format!("rename to {out}: {e}")));
    eprintln!("sphinx-interop: wrote {out}");
}

// ------------------------------------------------------------------------------------------------
// Bench

struct Timing {
    name: String,
    median_us: f64,
    min_us: f64,
    max_us: f64,
    cpu_median_us: f64,
    iterations: usize,
}

/// This process's CPU time in seconds (what Google Benchmark's cpu_time measures).
fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the struct we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `reps` repetitions of `iters` calls each (after a warm-up); each repetition's mean per call, in
/// wall time and in process CPU time.
fn measure<S, F>(name: &str, reps: usize, min_time_ms: u64, mut setup: S, mut f: F) -> Timing
where
    S: FnMut(usize) -> Vec<Vec<u8>>,
    F: FnMut(Vec<u8>),
{
    // Warm-up and calibration: enough calls to fill min_time_ms per repetition.
    let warm = setup(20);
    let t = Instant::now();
    for x in warm {
        f(x);
    }
    let per_call = t.elapsed().as_secs_f64() / 20.0;
    let iters = ((min_time_ms as f64 / 1000.0) / per_call).ceil().max(10.0) as usize;
    let mut means = Vec::with_capacity(reps);
    let mut cpu_means = Vec::with_capacity(reps);
    for _ in 0..reps {
        let inputs = setup(iters);
        let cpu = process_cpu_seconds();
        let t = Instant::now();
        for x in inputs {
            f(x);
        }
        means.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        cpu_means.push((process_cpu_seconds() - cpu) * 1e6 / iters as f64);
    }
    let min_us = means.iter().cloned().fold(f64::INFINITY, f64::min);
    let max_us = means.iter().cloned().fold(0.0, f64::max);
    Timing {
        name: name.to_string(),
        median_us: median(means),
        min_us,
        max_us,
        cpu_median_us: median(cpu_means),
        iterations: iters,
    }
}

struct BenchVariant {
    krate: Crate,
    version: u16,
}

fn bench(json_out: bool, payload_size: usize, reps: usize, min_time_ms: u64) {
    let message_len = payload_size - 17;
    let variants = [
        BenchVariant { krate: Crate::V010, version: 256 },
        BenchVariant { krate: Crate::V060, version: 257 },
        BenchVariant { krate: Crate::V060, version: 258 },
        BenchVariant { krate: Crate::V060, version: 259 },
    ];
    let mut results: Vec<(String, [u8; 3], Timing)> = Vec::new();
    for v in &variants {
        let vb = if v.krate == Crate::V010 { [0, 1, 0] } else { version_bytes(v.version) };
        let spec = |route_len: usize, name: &'static str| CaseSpec {
            name,
            krate: v.krate,
            version: v.version,
            route_len,
            payload_size,
            message_len,
            surb: false,
        };
        // Creation with the builder and a fixed initial secret; route, keys and delays are made
        // outside the timed calls. The crate still draws the final hop's padding from the OS.
        for (hops, name) in [(3usize, "create_3hops"), (4usize, "create_4hops")] {
            let inp = inputs_for(&spec(hops, "bench"));
            let t = match v.krate {
                Crate::V010 => {
                    let secret = v010::crypto::PrivateKey::from(inp.initial_secret);
                    let route = route_v010(&inp);
                    let dest = v010::route::Destination::new(
                        v010::route::DestinationAddressBytes::from_bytes(inp.destination),
                        inp.surb_id,
                    );
                    let delays: Vec<_> =
                        inp.delays.iter().map(|d| v010::header::delays::Delay::new_from_nanos(*d)).collect();
                    measure(name, reps, min_time_ms, |n| vec![Vec::new(); n], |_| {
                        let p = v010::SphinxPacketBuilder::new()
                            .with_payload_size(payload_size)
                            .with_initial_secret(&secret)
                            .build_packet(&inp.message, &route, &dest, &delays)
                            .unwrap();
                        std::hint::black_box(p);
                    })
                }
                Crate::V060 => {
                    let secret = v060::crypto::PrivateKey::from(inp.initial_secret);
                    let route = route_v060(&inp);
                    let dest = v060::route::Destination::new(
                        v060::route::DestinationAddressBytes::from_bytes(inp.destination),
                        inp.surb_id,
                    );
                    let delays: Vec<_> =
                        inp.delays.iter().map(|d| v060::header::delays::Delay::new_from_nanos(*d)).collect();
                    let version = v060::version::Version::new(v.version);
                    measure(name, reps, min_time_ms, |n| vec![Vec::new(); n], |_| {
                        let p = v060::SphinxPacketBuilder::new()
                            .with_version(version)
                            .with_payload_size(payload_size)
                            .with_initial_secret(&secret)
                            .build_packet(&inp.message, &route, &dest, &delays)
                            .unwrap();
                        std::hint::black_box(p);
                    })
                }
            };
            results.push((v.krate.name().to_string(), vb, t));
        }
        let inp = inputs_for(&spec(3, "bench"));
        let packet = build(v.krate, v.version, &inp);
        let hops = run_route(v.krate, packet.clone(), &inp.node_keys);
        let final_input = hops.last().unwrap().input.clone();
        for (name, input, sk) in [
            ("process_forward_hop", packet.clone(), inp.node_keys[0]),
            ("process_final_hop", final_input, inp.node_keys[2]),
        ] {
            let t = match v.krate {
                Crate::V010 => {
                    let key = v010::crypto::PrivateKey::from(sk);
                    measure(name, reps, min_time_ms, |n| vec![input.clone(); n], |bytes| {
                        // from_bytes copies into the crate's types, as the crate's own bench does.
                        let p = v010::SphinxPacket::from_bytes(&bytes).unwrap();
                        std::hint::black_box(p.process(&key).is_ok());
                    })
                }
                Crate::V060 => {
                    let key = v060::crypto::PrivateKey::from(sk);
                    measure(name, reps, min_time_ms, |n| vec![input.clone(); n], |bytes| {
                        let p = v060::SphinxPacket::from_bytes(&bytes).unwrap();
                        std::hint::black_box(p.process(&key).is_ok());
                    })
                }
            };
            results.push((v.krate.name().to_string(), vb, t));
        }
    }

    if json_out {
        let mut root = Json::obj();
        root.set("tool", Json::str("sphinx-interop"));
        root.set("payload_size", Json::num(payload_size as u64));
        root.set("message_size", Json::num(message_len as u64));
        root.set("repetitions", Json::num(reps as u64));
        root.set(
            "results",
            Json::Arr(
                results
                    .iter()
                    .map(|(c, vb, t)| {
                        let mut o = Json::obj();
                        o.set("crate", Json::str(&format!("sphinx-packet {c}")));
                        o.set("version_bytes", Json::hex(vb));
                        o.set("name", Json::str(&t.name));
                        o.set("median_us", Json::float(t.median_us));
                        o.set("min_us", Json::float(t.min_us));
                        o.set("max_us", Json::float(t.max_us));
                        o.set("cpu_median_us", Json::float(t.cpu_median_us));
                        o.set("iterations", Json::num(t.iterations as u64));
                        o
                    })
                    .collect(),
            ),
        );
        println!("{}", root);
    } else {
        println!("payload {payload_size} B, message {message_len} B, median of {reps} repetitions (µs per call: wall [min .. max], CPU)");
        for (c, vb, t) in &results {
            println!(
                "sphinx-packet {c:6} {} {:22} {:9.2}  [{:.2} .. {:.2}]  cpu {:.2}",
                hex(vb),
                t.name,
                t.median_us,
                t.min_us,
                t.max_us,
                t.cpu_median_us
            );
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: sphinx-interop vectors --out FILE.json\n       sphinx-interop bench [--json] [--payload-size N] [--reps N] [--min-time-ms N]"
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<String> { args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned()) };
    let number = |flag: &str, default: u64| -> u64 {
        value(flag).map(|v| v.parse().unwrap_or_else(|_| usage())).unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("vectors") => vectors(&value("--out").unwrap_or_else(|| usage())),
        Some("bench") => {
            let payload_size = number("--payload-size", 2065) as usize;
            if payload_size < 33 {
                usage();
            }
            bench(args.iter().any(|a| a == "--json"), payload_size, number("--reps", 5).max(1) as usize, number("--min-time-ms", 300))
        }
        _ => usage(),
    }
}
