namespace nym::coconut {} // placeholder
