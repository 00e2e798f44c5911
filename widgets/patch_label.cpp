#include "widgets/patch_label.h"

#include <algorithm>

#include <QImage>
#include <QLabel>
#include <QPixmap>

namespace cx::widgets {

QLabel* patchLabel(const engine::NodeImage& p, int cell, QWidget* parent) {
    auto* label = new QLabel(parent);
    const QImage image(p.rgb.data(), p.width, p.height, 3 * p.width, QImage::Format_RGB888);
    // Small patches (a first layer's 5 x 5) are enlarged crisply, larger ones smoothly.
    const auto mode = std::max(p.width, p.height) * 3 <= cell ? Qt::FastTransformation : Qt::SmoothTransformation;
    label->setPixmap(QPixmap::fromImage(image.copy()).scaled(cell, cell, Qt::KeepAspectRatio, mode));
    label->setFixedSize(cell + 2, cell + 2);
    label->setAlignment(Qt::AlignCenter);
    label->setToolTip(QObject::tr("image %1: activation %2").arg(p.imageIndex).arg(p.activation, 0, 'g', 4));
    return label;
}

}  // namespace cx::widgets
