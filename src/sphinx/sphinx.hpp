#pragma once
// The whole Sphinx library in one include.

#include <sphinx/builder.hpp>
#include <sphinx/constants.hpp>
#include <sphinx/delays.hpp>
#include <sphinx/errors.hpp>
#include <sphinx/keys.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/processing.hpp>
#include <sphinx/surb.hpp>
#include <sphinx/types.hpp>
