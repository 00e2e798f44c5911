#include "widgets/detail_bar.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QStringList>

namespace cx::widgets {

DetailBar::DetailBar(QWidget* parent) : QWidget(parent) {
    m_level = new QComboBox(this);
    m_level->addItem(tr("Blocks"), int(engine::DetailLevel::Block));
    m_level->addItem(tr("Layers"), int(engine::DetailLevel::Layer));
    m_level->addItem(tr("Units"), int(engine::DetailLevel::Unit));
    m_level->addItem(tr("Kernels"), int(engine::DetailLevel::Kernel));
    m_level->setToolTip(tr("Draw the circuit as one vertex per block (a residual block, an inception module, a transformer "
                           "block) or per layer, as units with their strongest edges, or every kernel. Double-click a block "
                           "or layer to expand it; right-click a vertex to expand, collapse or focus on it."));
    m_topEdges = new QSpinBox(this);
    m_topEdges->setRange(0, 64);
    m_topEdges->setPrefix(tr("top "));
    m_topEdges->setSuffix(tr(" edges"));
    m_topEdges->setSpecialValueText(tr("every edge"));
    m_topEdges->setToolTip(tr("At the unit level and in a focus view, each unit keeps its strongest edges in and out by saliency"));
    m_depth = new QSpinBox(this);
    m_depth->setRange(1, 8);
    m_depth->setPrefix(tr("depth "));
    m_depth->setToolTip(tr("How many edges the focus cone reaches upstream and downstream"));
    m_allEdges = new QCheckBox(tr("All edges"), this);
    m_allEdges->setToolTip(tr("Draw the focus cone with every edge, not only each unit's strongest"));
    m_back = new QPushButton(tr("Back"), this);
    m_back->setToolTip(tr("Leave the focus view"));
    m_counts = new QLabel(this);
    m_counts->setWordWrap(true);  // long counts wrap instead of widening the whole tab
    m_counts->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    m_focusTools = new QWidget(this);
    auto* focus = new QHBoxLayout(m_focusTools);
    focus->setContentsMargins(0, 0, 0, 0);
    focus->addWidget(m_depth);
    focus->addWidget(m_allEdges);
    focus->addWidget(m_back);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Detail:"), this));
    layout->addWidget(m_level);
    layout->addWidget(m_topEdges);
    layout->addWidget(m_focusTools);
    layout->addWidget(m_counts, 1);
    m_focusTools->setVisible(false);
    setEnabled(false);

    connect(m_level, &QComboBox::currentIndexChanged, this, [this] {
        engine::DetailSpec spec;  // a new level starts from scratch: no expansions, no focus
        spec.level = engine::DetailLevel(m_level->currentData().toInt());
        spec.topEdges = m_topEdges->value();
        request(spec);
    });
    connect(m_topEdges, &QSpinBox::valueChanged, this, [this](int k) {
        auto spec = m_spec;
        spec.topEdges = k;
        request(spec);
    });
    connect(m_depth, &QSpinBox::valueChanged, this, [this](int depth) {
        auto spec = m_spec;
        spec.depth = depth;
        request(spec);
    });
    connect(m_allEdges, &QCheckBox::toggled, this, [this](bool all) {
        auto spec = m_spec;
        spec.allEdges = all;
        request(spec);
    });
    connect(m_back, &QPushButton::clicked, this, [this] {
        auto spec = m_spec;
        spec.focus.clear();
        spec.allEdges = false;
        request(spec);
    });
}

void DetailBar::request(const engine::DetailSpec& spec) {
    if (!m_updating) Q_EMIT detailRequested(spec);
}

void DetailBar::setView(const engine::CircuitDiagram& view) {
    m_updating = true;
    m_spec = view.detail;
    setEnabled(view.whole != nullptr);
    m_level->setCurrentIndex(m_level->findData(int(m_spec.level)));
    m_topEdges->setValue(int(m_spec.topEdges));
    m_depth->setValue(m_spec.depth);
    m_allEdges->setChecked(m_spec.allEdges);
    const bool focused = !m_spec.focus.empty();
    m_focusTools->setVisible(focused);
    // The count "all edges" would draw: what is drawn plus what the top edges leave out.
    const qint64 all = qint64(view.edges.size()) + view.hiddenEdges;
    m_allEdges->setText(focused && !m_spec.allEdges ? tr("All edges (%L1)").arg(all) : tr("All edges"));
    qint64 blocks = 0, layers = 0;
    for (const auto& n : view.nodes) {
        blocks += n.kind == engine::NodeKind::Block ? 1 : 0;
        layers += n.kind == engine::NodeKind::Layer ? 1 : 0;
    }
    QString text = focused ? tr("Focus on %1: ").arg(QString::fromStdString(m_spec.focus)) : QString();
    text += tr("%L1 vertices").arg(qint64(view.nodes.size()));
    QStringList groups;
    if (blocks > 0) groups << (blocks == 1 ? tr("1 block") : tr("%L1 blocks").arg(blocks));
    if (layers > 0) groups << (layers == 1 ? tr("1 layer") : tr("%L1 layers").arg(layers));
    if (!groups.isEmpty()) text += QStringLiteral(" (") + groups.join(QStringLiteral(", ")) + QStringLiteral(")");
    text += tr(", %L1 edges").arg(qint64(view.edges.size()));
    if (view.hiddenEdges > 0) text += tr("; %L1 weaker not drawn").arg(view.hiddenEdges);
    m_counts->setText(text);
    m_updating = false;
}

QString DetailBar::countsText() const { return m_counts->text(); }

}  // namespace cx::widgets
