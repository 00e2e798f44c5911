#include "widgets/layer_tree_view.h"

#include <QHeaderView>

namespace cx::widgets {

QString shapeText(const std::vector<int64_t>& shape) {
    QStringList parts;
    for (auto d : shape) parts << QString::number(d);
    return parts.join(QChar(0x00D7));
}

QString segmentText(const engine::ModelSummary& summary, const engine::InputSegment& s) {
    const QString source = QString::fromStdString(summary.sourceName(s.source));
    if (s.mode == engine::FlowMode::Dense) return source + QStringLiteral(": all channels (mixed)");
    const QString from = QStringLiteral("%1 channels %2\u2013%3").arg(source).arg(s.sourceOffset).arg(s.sourceOffset + s.sourceChannels - 1);
    const QString to = QStringLiteral("inputs %1\u2013%2").arg(s.channelOffset).arg(s.channelOffset + s.channels - 1);
    if (s.mode == engine::FlowMode::Expand)
        return QStringLiteral("%1 \u2192 %2 (flattened, %3 per channel)").arg(from, to).arg(s.channels / std::max<int64_t>(1, s.sourceChannels));
    return from + QStringLiteral(" \u2192 ") + to;
}

LayerTreeView::LayerTreeView(QWidget* parent) : QTreeWidget(parent) {
    setColumnCount(4);
    setHeaderLabels({tr("Layer"), tr("Kind"), tr("Weight"), tr("Channels")});
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    // Every column as wide as its contents (names are never clipped); scroll sideways if needed.
    for (int c = 0; c < 4; ++c) header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    header()->setStretchLastSection(false);
    connect(this, &QTreeWidget::itemSelectionChanged, this, &LayerTreeView::onSelectionChanged);
}

void LayerTreeView::clearModel() {
    clear();
    m_layerItems.clear();
}

void LayerTreeView::setModel(const engine::ModelSummary& summary, const QString& title) {
    clearModel();
    auto* root = new QTreeWidgetItem(this, {title, QString(), QString(),
                                            tr("%n layer(s)", nullptr, int(summary.layers.size()))});
    root->setToolTip(0, QString::fromStdString(summary.path));
    root->setFirstColumnSpanned(false);
    QFont bold = root->font(0);
    bold.setBold(true);
    root->setFont(0, bold);
    for (size_t i = 0; i < summary.layers.size(); ++i) {
        const auto& l = summary.layers[i];
        auto* item = new QTreeWidgetItem(root, {QString::fromStdString(l.name), engine::layerKindName(l.kind),
                                                shapeText(l.weightShape),
                                                QStringLiteral("%1 \u2192 %2").arg(l.inChannels).arg(l.outChannels)});
        item->setData(0, Qt::UserRole, int(i));
        QString tip = QString::fromStdString(l.param);
        if (!l.reachable) {
            tip += tr("\nDead: its output never reaches the model output.");
            for (int c = 0; c < 4; ++c) item->setForeground(c, palette().brush(QPalette::Disabled, QPalette::Text));
        }
        for (int c = 0; c < 4; ++c) item->setToolTip(c, tip);
        for (const auto& s : l.inputs) {
            auto* in = new QTreeWidgetItem(item, {QStringLiteral("\u2190 ") + segmentText(summary, s)});
            in->setFirstColumnSpanned(true);
            in->setData(0, Qt::UserRole, int(i));
        }
        m_layerItems.append(item);
    }
    root->setExpanded(true);
}

void LayerTreeView::selectLayer(int layer) {
    if (auto* item = layerItem(layer)) setCurrentItem(item);
}

void LayerTreeView::onSelectionChanged() {
    const auto items = selectedItems();
    if (items.isEmpty()) return;
    const QVariant layer = items.first()->data(0, Qt::UserRole);
    if (layer.isValid()) Q_EMIT layerSelected(layer.toInt());
}

}  // namespace cx::widgets
