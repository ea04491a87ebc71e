#include "fuzz.hpp"
