#pragma once
// The extended circuit diagram: a laid-out engine::CircuitDiagram drawn in a QGraphicsScene.
// Zoom with the wheel, pan by dragging, hover for details, click a unit or kernel to highlight
// every path through it (all upstream and downstream units and kernels), search a unit by name.
// Blocks and layers drawn as one vertex (the overview levels) expand on a double-click; a
// right-click offers expanding, collapsing and focusing - as detailRequested, for the app to draw.
#include <set>
#include <string>

#include <QGraphicsView>

#include "engine/diagram/diagram_types.h"

class QGraphicsItem;

class QTimer;

namespace cx::widgets {

class DiagramView : public QGraphicsView {
    Q_OBJECT
public:
    explicit DiagramView(QWidget* parent = nullptr);

    /// Shows a diagram that has been laid out (engine::layoutDiagram); replaces the current one.
    void setDiagram(const engine::CircuitDiagram& diagram);
    void clear();
    const engine::CircuitDiagram& diagram() const { return m_diagram; }
    /// Replaces one vertex's picture in place (the layout, zoom and highlight stay): pictures
    /// computed in the background arrive one by one.
    void setNodeImage(size_t node, const engine::NodeImage& image);

    int nodeItemCount() const { return int(m_nodeItems.size()); }
    int edgeItemCount() const { return int(m_edgeItems.size()); }

    /// Highlights a node with all its upstream and downstream paths (or an edge with the paths
    /// through it); everything else fades. An empty selection shows everything again.
    void highlightNode(size_t node);
    void highlightEdge(size_t edge);
    void clearHighlight();
    /// Lights the units with these ids and the edges between them; everything else fades (an
    /// empty set fades nothing).
    void lightUnits(const std::set<std::string>& ids);
    const std::set<size_t>& highlightedNodes() const { return m_litNodes; }
    const std::set<size_t>& highlightedEdges() const { return m_litEdges; }

    /// Finds a unit by id ("features.conv3:12", or "conv3:12", case-insensitive), highlights it
    /// and centres it; false when there is none.
    bool findUnit(const QString& text);
    /// Dead-end kernels and units (present when the diagram was built with them) shown greyed or hidden.
    void setDeadEndsVisible(bool visible);
    void fitAll();
    /// Writes the diagram as drawn - pictures, dead ends and highlight included - as SVG or PDF
    /// (vector) or PNG at `dpi`, atomically. Returns an error message, empty on success.
    QString exportTo(const QString& path, double dpi = 150) const;

    /// The level-of-detail actions of a vertex (for its context menu): text and the spec each asks for.
    std::vector<std::pair<QString, engine::DetailSpec>> detailActions(size_t node) const;

Q_SIGNALS:
    void unitClicked(const QString& id);
    /// The pointer rested on a unit's vertex (400 ms without moving off it, no button held).
    void unitHovered(const QString& id);
    void detailRequested(const cx::engine::DetailSpec& spec);
    /// After setDiagram: a new view is on screen.
    void diagramShown();

protected:
    void changeEvent(QEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    engine::CircuitDiagram m_diagram;
    std::vector<QGraphicsItem*> m_nodeItems, m_edgeItems;
    std::set<size_t> m_litNodes, m_litEdges;
    std::vector<std::vector<size_t>> m_edgesIn, m_edgesOut;  // per node, for the highlight walks
    QPoint m_pressPos;
    QTimer* m_hoverTimer = nullptr;  // a unit hovered this long is announced (unitHovered)
    long long m_hovered = -1;        // the node under the pointer

    /// A unit's vertex: its picture in a frame, or a numbered circle when it has none.
    QGraphicsItem* addNode(const engine::DiagramNode& node, const QRectF& box);
    QGraphicsItem* addGroupNode(const engine::DiagramNode& node, const QRectF& box);
    /// The node under a view position, or -1.
    long long nodeAt(const QPoint& pos) const;
    void applyHighlight();
    void walk(size_t start, bool downstream, std::set<size_t>& nodes, std::set<size_t>& edges) const;
};

}  // namespace cx::widgets
