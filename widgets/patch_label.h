#pragma once
// A dataset patch (or any node picture) as a fixed-size label: small patches enlarged crisply,
// larger ones smoothly, with the image index and activation as its tooltip.
#include "engine/diagram/node_image.h"

class QLabel;
class QWidget;

namespace cx::widgets {

QLabel* patchLabel(const engine::NodeImage& picture, int cell, QWidget* parent);

}  // namespace cx::widgets
