#pragma once
// Precompiled header of cx_engine: torch takes ~20 s per translation unit without it.
#include <torch/script.h>
#include <torch/torch.h>
#include <torch/csrc/jit/ir/ir.h>
