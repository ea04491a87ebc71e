namespace nym::bls {} // placeholder
