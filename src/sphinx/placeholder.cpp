namespace nym::sphinx {} // placeholder
