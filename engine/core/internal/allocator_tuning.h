#pragma once
// glibc's malloc hands large freed blocks back to the kernel (trimming the heap top, or unmapping
// blocks above its mmap threshold), so a training step that allocates tensors of a few MB fresh
// every time page-faults on every one of their pages again. Measured on the issue-18 MLP's
// 670K-weight masks: the fused soft mask's forward and backward took 3.3 ms, 1.6 ms with freed
// memory kept; Adam's step on 670K logits 3.0 ms, 0.97 ms (296,869 page faults in that run).

namespace cx::engine {

/// Keeps up to 256 MB of freed heap memory for reuse and serves blocks below 64 MB from the heap,
/// unless the user set glibc's MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_. No-op elsewhere.
void keepFreedMemoryForReuse();

}  // namespace cx::engine
