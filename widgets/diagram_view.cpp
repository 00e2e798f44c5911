#include "widgets/diagram_view.h"

#include <QContextMenuEvent>
#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QFileInfo>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTimer>
#include <QWheelEvent>
#include <QtMath>
#include <algorithm>
#include <map>

#include "engine/diagram/diagram_colour.h"
#include "engine/diagram/diagram_detail.h"

namespace cx::widgets {
namespace {

enum ItemRole { kRoleKind = 0, kRoleIndex = 1 };
enum ItemKind { kNode = 1, kEdge = 2 };
constexpr double kFaded = 0.12;
constexpr int kHoverMs = 400;  // resting this long on a vertex shows its examples (when they are open)

QString edgeTip(const engine::CircuitDiagram& d, const engine::DiagramEdge& e) {
    return QStringLiteral("%1 \u2192 %2\nsaliency %3\nsign balance %4%5%6")
        .arg(QString::fromStdString(d.nodes[e.from].id), QString::fromStdString(d.nodes[e.to].id))
        .arg(e.saliency, 0, 'g', 4)
        .arg(e.signBalance, 0, 'f', 2)
        .arg(e.kernels > 1 ? QStringLiteral("\n%1 kernels joined").arg(e.kernels) : QString())
        .arg(e.dead ? QStringLiteral("\ndead end") : QString());
}

QString nodeTip(const engine::DiagramNode& n) {
    QString tip = QStringLiteral("%1\nscore %2").arg(QString::fromStdString(n.id)).arg(n.score, 0, 'g', 4);
    if (n.image.kind == "kernel") tip += QStringLiteral("\npicture: the filter's weights (grey 0, bright positive, dark negative)");
    else if (n.image.kind == "visualisation")
        tip += QStringLiteral("\npicture: its feature visualisation with respect to this circuit (activation %1)").arg(n.image.activation, 0, 'g', 4);
    else if (n.image.kind == "crop" || n.image.kind == "image")
        tip += QStringLiteral("\npicture: image %1, where the unit responds most (%2)").arg(n.image.imageIndex).arg(n.image.activation, 0, 'g', 4);
    if (n.target) tip += QStringLiteral("\ntarget");
    if (n.dead) tip += QStringLiteral("\ndead end");
    return tip;
}

QString groupTip(const engine::DiagramNode& n) {
    QString tip = QStringLiteral("%1 %2\n%3 kept units, %4 kernels between them\nsummed score %5\ndouble-click to expand")
                      .arg(n.kind == engine::NodeKind::Block ? QStringLiteral("block") : QStringLiteral("layer"),
                           QString::fromStdString(n.group))
                      .arg(n.members)
                      .arg(n.innerKernels)
                      .arg(n.score, 0, 'g', 4);
    if (n.target) tip += QStringLiteral("\nholds the target");
    return tip;
}

QGraphicsSimpleTextItem* unitLabel(const engine::DiagramNode& n, QGraphicsItem* parent) {
    auto* label = new QGraphicsSimpleTextItem(QString::number(n.unit), parent);
    QFont font = label->font();
    font.setPointSizeF(6.5);
    label->setFont(font);
    label->setBrush(QColor(0x30, 0x30, 0x30));
    label->setAcceptedMouseButtons(Qt::NoButton);
    return label;
}

}  // namespace

// A block or layer as one vertex: a rounded box with its name and unit count.
QGraphicsItem* DiagramView::addGroupNode(const engine::DiagramNode& n, const QRectF& box) {
    QPainterPath shape;
    shape.addRoundedRect(box, 6, 6);
    const QColor fill = n.target ? QColor(0xff, 0xe0, 0x8a) : QColor(0xe6, 0xed, 0xf7);
    auto* item = scene()->addPath(shape, QPen(QColor(0x4d, 0x5d, 0x7a), n.target ? 1.6 : 0.9), fill);
    item->setToolTip(groupTip(n));
    auto* label = new QGraphicsSimpleTextItem(
        QStringLiteral("%1\n%2 units").arg(QString::fromStdString(n.group)).arg(n.members), item);
    QFont font = label->font();
    font.setPointSizeF(7);
    label->setFont(font);
    label->setBrush(QColor(0x20, 0x20, 0x20));
    label->setAcceptedMouseButtons(Qt::NoButton);
    const QRectF text = label->boundingRect();
    const double scale = std::min(1.0, (box.width() - 6) / std::max(1.0, text.width()));
    label->setScale(scale);
    label->setPos(box.center() - QPointF(text.width() * scale / 2, text.height() * scale / 2));
    return item;
}

QGraphicsItem* DiagramView::addNode(const engine::DiagramNode& n, const QRectF& box) {
    if (n.kind != engine::NodeKind::Unit) return addGroupNode(n, box);
    const QColor fill = n.target ? QColor(0xff, 0xe0, 0x8a) : QColor(0xf4, 0xf4, 0xf4);
    const QPen pen(n.dead ? QColor(0xbd, 0xbd, 0xbd) : QColor(0x4d, 0x4d, 0x4d), n.target ? 1.6 : 0.8);
    if (n.image.empty()) {  // the plain glyph: a circle with the unit's number
        auto* item = scene()->addEllipse(box, pen, fill);
        item->setToolTip(nodeTip(n));
        auto* label = unitLabel(n, item);
        label->setPos(box.center() - label->boundingRect().center());
        return item;
    }
    // A framed picture (a target's frame is thick and yellow), its unit number in a corner tab.
    auto* item = scene()->addRect(box, n.target ? QPen(QColor(0xe6, 0xa8, 0x17), 2.4) : pen, fill);
    item->setToolTip(nodeTip(n));
    const QImage image(n.image.rgb.data(), n.image.width, n.image.height, 3 * n.image.width, QImage::Format_RGB888);
    auto* picture = new QGraphicsPixmapItem(QPixmap::fromImage(image.copy()), item);
    // Kernels and swatches are a few pixels: keep them crisp. Crops are photographs: smooth.
    picture->setTransformationMode(n.image.kind == "crop" || n.image.kind == "image" || n.image.kind == "visualisation" ? Qt::SmoothTransformation : Qt::FastTransformation);
    const QRectF inner = box.adjusted(1.5, 1.5, -1.5, -1.5);
    const double scale = std::min(inner.width() / n.image.width, inner.height() / n.image.height);
    picture->setScale(scale);
    picture->setPos(inner.center() - QPointF(n.image.width * scale / 2, n.image.height * scale / 2));
    picture->setAcceptedMouseButtons(Qt::NoButton);
    auto* label = unitLabel(n, item);
    const QRectF text = label->boundingRect();
    auto* tab = new QGraphicsRectItem(QRectF(box.topLeft(), text.size() + QSizeF(2, 0)), item);
    tab->setBrush(QColor(255, 255, 255, 210));
    tab->setPen(Qt::NoPen);
    tab->setAcceptedMouseButtons(Qt::NoButton);
    label->setParentItem(tab);
    label->setPos(box.topLeft() + QPointF(1, 0));
    return item;
}

DiagramView::DiagramView(QWidget* parent) : QGraphicsView(parent) {
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setBackgroundBrush(palette().base());
    viewport()->setMouseTracking(true);  // hover without a button held
    m_hoverTimer = new QTimer(this);
    m_hoverTimer->setSingleShot(true);
    m_hoverTimer->setInterval(kHoverMs);
    connect(m_hoverTimer, &QTimer::timeout, this, [this] {
        if (m_hovered >= 0 && size_t(m_hovered) < m_diagram.nodes.size() && m_diagram.nodes[size_t(m_hovered)].kind == engine::NodeKind::Unit)
            Q_EMIT unitHovered(QString::fromStdString(m_diagram.nodes[size_t(m_hovered)].id));
    });
}

void DiagramView::changeEvent(QEvent* event) {
    QGraphicsView::changeEvent(event);
    if (event->type() != QEvent::PaletteChange) return;
    setBackgroundBrush(palette().base());
    if (m_diagram.nodes.empty()) return;
    const auto nodes = m_litNodes;  // captions take the new text colour; the highlight stays
    const auto edges = m_litEdges;
    setDiagram(engine::CircuitDiagram(m_diagram));
    m_litNodes = nodes;
    m_litEdges = edges;
    applyHighlight();
}

void DiagramView::clear() {
    scene()->clear();
    m_nodeItems.clear();
    m_edgeItems.clear();
    m_litNodes.clear();
    m_litEdges.clear();
    m_edgesIn.clear();
    m_edgesOut.clear();
    m_diagram = {};
}

void DiagramView::setDiagram(const engine::CircuitDiagram& diagram) {
    clear();
    m_diagram = diagram;
    const double height = diagram.height;
    auto flip = [height](double x, double y) { return QPointF(x, height - y); };  // Graphviz y grows upwards
    double maxSaliency = 0;
    for (const auto& e : diagram.edges) maxSaliency = std::max(maxSaliency, e.saliency);
    const QColor text = palette().text().color();
    for (size_t i = 0; i < diagram.edges.size(); ++i) {
        const auto& e = diagram.edges[i];
        QPainterPath path;
        if (e.points.size() >= 8) {
            path.moveTo(flip(e.points[0], e.points[1]));
            for (size_t p = 2; p + 5 < e.points.size(); p += 6)
                path.cubicTo(flip(e.points[p], e.points[p + 1]), flip(e.points[p + 2], e.points[p + 3]),
                             flip(e.points[p + 4], e.points[p + 5]));
        } else {
            const auto& a = diagram.nodes[e.from];
            const auto& b = diagram.nodes[e.to];
            path.moveTo(flip(a.x, a.y));
            path.lineTo(flip(b.x, b.y));
        }
        auto* item = scene()->addPath(path);
        const double width = maxSaliency > 0 ? 0.4 + 3.6 * e.saliency / maxSaliency : 1.0;
        QPen pen(e.dead ? QColor(0xdd, 0xdd, 0xdd) : QColor(QString::fromStdString(engine::signColour(e.signBalance))), width);
        if (e.dead) pen.setStyle(Qt::DashLine);
        pen.setCosmetic(false);
        item->setPen(pen);
        item->setToolTip(edgeTip(diagram, e));
        item->setData(kRoleKind, kEdge);
        item->setData(kRoleIndex, qulonglong(i));
        item->setZValue(0);
        m_edgeItems.push_back(item);
    }
    std::map<std::string, std::pair<double, double>> rankSpan;  // rank -> (x sum, count) for captions
    double lowest = 0;
    m_edgesIn.assign(diagram.nodes.size(), {});
    m_edgesOut.assign(diagram.nodes.size(), {});
    for (size_t i = 0; i < diagram.edges.size(); ++i) {
        m_edgesIn[diagram.edges[i].to].push_back(i);
        m_edgesOut[diagram.edges[i].from].push_back(i);
    }
    for (size_t i = 0; i < diagram.nodes.size(); ++i) {
        const auto& n = diagram.nodes[i];
        const QPointF c = flip(n.x, n.y);
        const double w = n.width > 0 ? n.width : 23, h = n.height > 0 ? n.height : 23;
        QGraphicsItem* item = addNode(n, QRectF(c.x() - w / 2, c.y() - h / 2, w, h));
        item->setData(kRoleKind, kNode);
        item->setData(kRoleIndex, qulonglong(i));
        item->setZValue(1);
        m_nodeItems.push_back(item);
        if (!n.rank.empty()) {  // blocks and layers drawn as one vertex have no rank caption
            rankSpan[n.rank].first += c.x();
            rankSpan[n.rank].second += 1;
        }
        lowest = std::max(lowest, c.y() + h / 2);
    }
    for (const auto& [rank, span] : rankSpan) {
        auto* caption = scene()->addSimpleText(QString::fromStdString(rank));
        caption->setBrush(text);
        const QRectF r = caption->boundingRect();
        caption->setPos(span.first / span.second - r.width() / 2, lowest + 12);
    }
    scene()->setSceneRect(scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20));
    fitAll();
    Q_EMIT diagramShown();
}

void DiagramView::setNodeImage(size_t node, const engine::NodeImage& image) {
    if (node >= m_diagram.nodes.size() || node >= m_nodeItems.size()) return;
    auto& n = m_diagram.nodes[node];
    if (n.kind != engine::NodeKind::Unit) return;
    n.image = image;
    QGraphicsItem* old = m_nodeItems[node];
    const double w = n.width > 0 ? n.width : 23, h = n.height > 0 ? n.height : 23;
    const QPointF c(n.x, m_diagram.height - n.y);  // as setDiagram places it
    QGraphicsItem* item = addNode(n, QRectF(c.x() - w / 2, c.y() - h / 2, w, h));
    item->setData(kRoleKind, kNode);
    item->setData(kRoleIndex, qulonglong(node));
    item->setZValue(1);
    item->setOpacity(old->opacity());
    item->setVisible(old->isVisible());
    m_nodeItems[node] = item;
    delete old;
}

void DiagramView::fitAll() {
    if (scene()->items().isEmpty()) return;
    fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
    // A long chain of blocks would shrink past reading: stop at a legible scale, on the target.
    constexpr double kLegible = 0.55;
    const bool overview = std::any_of(m_diagram.nodes.begin(), m_diagram.nodes.end(),
                                      [](const engine::DiagramNode& n) { return n.kind != engine::NodeKind::Unit; });
    if (!overview || transform().m11() >= kLegible) return;
    resetTransform();
    scale(kLegible, kLegible);
    for (size_t i = 0; i < m_diagram.nodes.size() && i < m_nodeItems.size(); ++i)
        if (m_diagram.nodes[i].target) return centerOn(m_nodeItems[i]);
}

void DiagramView::walk(size_t start, bool downstream, std::set<size_t>& nodes, std::set<size_t>& edges) const {
    std::vector<size_t> stack = {start};
    std::set<size_t> seen = {start};
    while (!stack.empty()) {
        const size_t n = stack.back();
        stack.pop_back();
        nodes.insert(n);
        for (size_t i : downstream ? m_edgesOut[n] : m_edgesIn[n]) {
            const auto& e = m_diagram.edges[i];
            edges.insert(i);
            const size_t next = downstream ? e.to : e.from;
            if (seen.insert(next).second) stack.push_back(next);
        }
    }
}

void DiagramView::highlightNode(size_t node) {
    m_litNodes.clear();
    m_litEdges.clear();
    if (node >= m_diagram.nodes.size()) return applyHighlight();
    walk(node, false, m_litNodes, m_litEdges);
    walk(node, true, m_litNodes, m_litEdges);
    applyHighlight();
}

void DiagramView::highlightEdge(size_t edge) {
    m_litNodes.clear();
    m_litEdges.clear();
    if (edge >= m_diagram.edges.size()) return applyHighlight();
    walk(m_diagram.edges[edge].from, false, m_litNodes, m_litEdges);
    walk(m_diagram.edges[edge].to, true, m_litNodes, m_litEdges);
    m_litEdges.insert(edge);
    applyHighlight();
}

void DiagramView::clearHighlight() {
    m_litNodes.clear();
    m_litEdges.clear();
    applyHighlight();
}

void DiagramView::lightUnits(const std::set<std::string>& ids) {
    m_litNodes.clear();
    m_litEdges.clear();
    for (size_t i = 0; i < m_diagram.nodes.size(); ++i)
        if (ids.count(m_diagram.nodes[i].id)) m_litNodes.insert(i);
    for (size_t i = 0; i < m_diagram.edges.size(); ++i)
        if (m_litNodes.count(m_diagram.edges[i].from) && m_litNodes.count(m_diagram.edges[i].to)) m_litEdges.insert(i);
    applyHighlight();
}

void DiagramView::applyHighlight() {
    const bool all = m_litNodes.empty() && m_litEdges.empty();
    for (size_t i = 0; i < m_nodeItems.size(); ++i) m_nodeItems[i]->setOpacity(all || m_litNodes.count(i) ? 1.0 : kFaded);
    for (size_t i = 0; i < m_edgeItems.size(); ++i) m_edgeItems[i]->setOpacity(all || m_litEdges.count(i) ? 1.0 : kFaded);
}

bool DiagramView::findUnit(const QString& text) {
    const QString wanted = text.trimmed();
    if (wanted.isEmpty()) return false;
    for (size_t i = 0; i < m_diagram.nodes.size(); ++i) {
        const QString id = QString::fromStdString(m_diagram.nodes[i].id);
        if (id.compare(wanted, Qt::CaseInsensitive) == 0 || id.endsWith(QLatin1Char('.') + wanted, Qt::CaseInsensitive)) {
            highlightNode(i);
            centerOn(m_nodeItems[i]);
            return true;
        }
    }
    return false;
}

void DiagramView::setDeadEndsVisible(bool visible) {
    for (size_t i = 0; i < m_edgeItems.size(); ++i)
        if (m_diagram.edges[i].dead) m_edgeItems[i]->setVisible(visible);
    for (size_t i = 0; i < m_nodeItems.size(); ++i)
        if (m_diagram.nodes[i].dead) m_nodeItems[i]->setVisible(visible);
}

QString DiagramView::exportTo(const QString& path, double dpi) const {
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != QLatin1String("svg") && ext != QLatin1String("pdf") && ext != QLatin1String("png"))
        return tr("unknown diagram format '.%1' (use .svg, .pdf, .png or .dot)").arg(ext);
    if (m_diagram.nodes.empty()) return tr("there is no circuit diagram to export");
    const QRectF source = scene()->sceneRect();  // points
    QSaveFile file(path);  // atomic: the old file stays until the new one is complete
    if (!file.open(QIODevice::WriteOnly)) return tr("cannot write %1: %2").arg(path, file.errorString());
    const auto draw = [&](QPaintDevice* device, const QRectF& target) {
        QPainter painter(device);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.fillRect(target, backgroundBrush());
        scene()->render(&painter, target, source);
    };
    if (ext == QLatin1String("png")) {
        const double scale = dpi / 72.0;
        QImage image((source.size() * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
        image.setDotsPerMeterX(int(std::lround(dpi / 0.0254)));
        image.setDotsPerMeterY(int(std::lround(dpi / 0.0254)));
        draw(&image, QRectF(QPointF(0, 0), image.size()));
        if (!image.save(&file, "PNG")) return tr("cannot encode %1 as PNG").arg(path);
    } else if (ext == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setSize(source.size().toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
        svg.setTitle(QStringLiteral("Circuit diagram"));
        draw(&svg, QRectF(QPointF(0, 0), source.size()));
    } else {
        QPdfWriter pdf(&file);
        pdf.setPageSize(QPageSize(source.size(), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setResolution(72);
        draw(&pdf, QRectF(QPointF(0, 0), source.size()));
    }
    if (!file.commit()) return tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

void DiagramView::wheelEvent(QWheelEvent* event) {
    const double factor = qPow(1.0015, event->angleDelta().y());
    scale(factor, factor);
    event->accept();
}

void DiagramView::mousePressEvent(QMouseEvent* event) {
    m_pressPos = event->pos();
    QGraphicsView::mousePressEvent(event);
}

void DiagramView::mouseMoveEvent(QMouseEvent* event) {
    QGraphicsView::mouseMoveEvent(event);
    const long long node = event->buttons() == Qt::NoButton ? nodeAt(event->pos()) : -1;
    if (node == m_hovered) return;
    m_hovered = node;
    if (node >= 0) m_hoverTimer->start();
    else m_hoverTimer->stop();
}

void DiagramView::mouseReleaseEvent(QMouseEvent* event) {
    QGraphicsView::mouseReleaseEvent(event);
    if (event->button() != Qt::LeftButton || (event->pos() - m_pressPos).manhattanLength() > 4) return;  // a drag
    QGraphicsItem* item = itemAt(event->pos());
    while (item && item->parentItem()) item = item->parentItem();
    if (!item || !item->data(kRoleKind).isValid()) return clearHighlight();
    const size_t index = item->data(kRoleIndex).toULongLong();
    if (item->data(kRoleKind).toInt() == kNode) {
        highlightNode(index);
        Q_EMIT unitClicked(QString::fromStdString(m_diagram.nodes[index].id));
    } else {
        highlightEdge(index);
    }
}

long long DiagramView::nodeAt(const QPoint& pos) const {
    QGraphicsItem* item = itemAt(pos);
    while (item && item->parentItem()) item = item->parentItem();
    if (!item || item->data(kRoleKind).toInt() != kNode) return -1;
    return (long long)item->data(kRoleIndex).toULongLong();
}

std::vector<std::pair<QString, engine::DetailSpec>> DiagramView::detailActions(size_t node) const {
    std::vector<std::pair<QString, engine::DetailSpec>> actions;
    if (!m_diagram.whole || node >= m_diagram.nodes.size()) return actions;
    const auto& n = m_diagram.nodes[node];
    const auto& d = m_diagram;
    using engine::DetailLevel;
    const QString blockOfNode =
        n.layer >= 0 && size_t(n.layer) < d.layerBlocks.size() ? QString::fromStdString(d.layerBlocks[size_t(n.layer)]) : QString();
    const bool mixed = n.id.size() > 2 && n.id.compare(n.id.size() - 2, 2, ":*") == 0;  // every channel of a layer
    if (mixed) return actions;
    if (n.kind != engine::NodeKind::Unit) {
        const QString name = QString::fromStdString(n.group);
        actions.push_back({tr("Expand %1 to its units").arg(name), engine::withPartAt(d, n.group, DetailLevel::Unit)});
        actions.push_back({tr("Expand %1 to every kernel").arg(name), engine::withPartAt(d, n.group, DetailLevel::Kernel)});
        if (n.kind == engine::NodeKind::Block)
            actions.push_back({tr("Expand %1 to its layers").arg(name), engine::withPartAt(d, n.group, DetailLevel::Layer)});
        else if (!blockOfNode.isEmpty() && blockOfNode != name)
            actions.push_back({tr("Collapse into block %1").arg(blockOfNode), engine::withPartAt(d, blockOfNode.toStdString(), DetailLevel::Block)});
        return actions;
    }
    const QString id = QString::fromStdString(n.id);
    actions.push_back({tr("Focus on %1").arg(id), engine::focusedOn(d, n.id)});
    if (d.detail.focus.empty())
        actions.push_back({tr("Every kernel of %1").arg(id), engine::withPartAt(d, n.id, DetailLevel::Kernel)});
    if (n.layer < 0) return actions;
    actions.push_back({tr("Collapse layer %1").arg(QString::fromStdString(n.rank)), engine::withPartAt(d, n.rank, DetailLevel::Layer)});
    if (!blockOfNode.isEmpty() && blockOfNode != QString::fromStdString(n.rank))
        actions.push_back({tr("Collapse block %1").arg(blockOfNode), engine::withPartAt(d, blockOfNode.toStdString(), DetailLevel::Block)});
    return actions;
}

void DiagramView::mouseDoubleClickEvent(QMouseEvent* event) {
    const long long node = nodeAt(event->pos());
    if (node >= 0 && m_diagram.whole && m_diagram.nodes[size_t(node)].kind != engine::NodeKind::Unit &&
        !detailActions(size_t(node)).empty()) {
        Q_EMIT detailRequested(engine::withPartAt(m_diagram, m_diagram.nodes[size_t(node)].group, engine::DetailLevel::Unit));
        event->accept();
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void DiagramView::contextMenuEvent(QContextMenuEvent* event) {
    const long long node = nodeAt(event->pos());
    if (node < 0) return QGraphicsView::contextMenuEvent(event);
    const auto actions = detailActions(size_t(node));
    if (actions.empty()) return QGraphicsView::contextMenuEvent(event);
    QMenu menu(this);
    for (const auto& [text, spec] : actions) {
        connect(menu.addAction(text), &QAction::triggered, this, [this, spec = spec] { Q_EMIT detailRequested(spec); });
    }
    menu.exec(event->globalPos());
}

}  // namespace cx::widgets
