#include "widgets/cluster_panel.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include "widgets/chart.h"
#include "widgets/patch_label.h"

namespace cx::widgets {
namespace {

constexpr int kCell = 44;
constexpr int kPatchesShown = 16;


Chart* makeChart(QWidget* parent, const QString& x, const QString& y) {
    auto* chart = new Chart(parent);
    chart->setMinimumSize(260, 200);
    chart->xAxis->setLabel(x);
    chart->yAxis->setLabel(y);
    chart->legend->setVisible(true);
    QFont small = chart->legend->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    chart->legend->setFont(small);
    chart->setVisible(false);  // until there are subcircuits
    return chart;
}

// The length of the dotted prefix every name shares ("features." of features.conv1 ..), so the
// axis shows what tells the layers apart.
int commonPrefix(const std::vector<QString>& names) {
    if (names.size() < 2) return 0;
    int cut = int(names.front().lastIndexOf(QLatin1Char('.'))) + 1;
    for (const auto& n : names)
        while (cut > 0 && !n.startsWith(names.front().left(cut))) cut = int(names.front().left(cut - 1).lastIndexOf(QLatin1Char('.'))) + 1;
    return cut;
}

}  // namespace

ClusterPanel::ClusterPanel(QWidget* parent) : QWidget(parent) {
    m_unit = new QLineEdit(this);
    m_unit->setPlaceholderText(tr("layer:unit, e.g. features.conv4:27"));
    m_top = new QSpinBox(this);
    m_top->setRange(4, 5000);
    m_top->setValue(300);
    m_top->setToolTip(tr("The unit's top activations that are clustered, one per image"));
    m_minSize = new QSpinBox(this);
    m_minSize->setRange(2, 1000);
    m_minSize->setValue(10);
    m_minSize->setToolTip(tr("The smallest cluster (HDBSCAN's minimum cluster size)"));
    m_cluster = new QPushButton(tr("Cluster"), this);
    m_cluster->setToolTip(tr("Cluster the unit's top patches by the layer's response to them"));
    m_control = new QCheckBox(tr("Control split"), this);
    m_control->setToolTip(tr("Also prune two subcircuits of a random half split of the clustered patches: their curves should overlap"));
    m_prune = new QPushButton(tr("Prune a subcircuit per cluster"), this);
    m_prune->setToolTip(tr("Score each cluster's images with the image-conditional (max) objective, prune at 20 sparsities, and "
                           "measure each subcircuit on every cluster (the Circuit tab's criterion)"));
    m_prune->setEnabled(false);
    auto* form = new QHBoxLayout;
    form->addWidget(new QLabel(tr("Unit"), this));
    form->addWidget(m_unit, 2);
    form->addWidget(new QLabel(tr("Top"), this));
    form->addWidget(m_top);
    form->addWidget(new QLabel(tr("Min. cluster"), this));
    form->addWidget(m_minSize);
    form->addWidget(m_cluster);
    form->addSpacing(12);
    form->addWidget(m_control);
    form->addWidget(m_prune);
    m_caption = new QLabel(tr("Choose a unit and press Cluster: its top patches are grouped by what the whole layer makes of them."), this);
    m_caption->setWordWrap(true);
    auto* rows = new QWidget(this);
    m_grid = new QGridLayout(rows);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setHorizontalSpacing(2);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(rows);
    scroll->setWidgetResizable(true);
    scroll->setMinimumHeight(3 * (kCell + 8));
    m_curves = makeChart(this, tr("sparsity (fraction of relevant kernels kept)"), tr("\u0394f-norm of the top activations"));
    m_curves->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_curves->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    m_curves->xAxis->setRangeReversed(true);  // dense on the left, sparse on the right
    m_iou = makeChart(this, tr("layer"), tr("IoU of the subcircuits' kernels"));
    auto* charts = new QHBoxLayout;
    charts->addWidget(m_curves, 3);
    charts->addWidget(m_iou, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_caption);
    layout->addWidget(scroll, 1);
    layout->addLayout(charts, 2);
    connect(m_cluster, &QPushButton::clicked, this, &ClusterPanel::clusterRequested);
    connect(m_unit, &QLineEdit::returnPressed, this, &ClusterPanel::clusterRequested);
    connect(m_prune, &QPushButton::clicked, this, &ClusterPanel::pruneRequested);
}

void ClusterPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    Q_EMIT shown();
}

void ClusterPanel::setUnit(const QString& unit) { m_unit->setText(unit); }
QString ClusterPanel::unit() const { return m_unit->text().trimmed(); }
int ClusterPanel::topCount() const { return m_top->value(); }
int ClusterPanel::minClusterSize() const { return m_minSize->value(); }
bool ClusterPanel::control() const { return m_control->isChecked(); }
QString ClusterPanel::caption() const { return m_caption->text(); }
int ClusterPanel::curveCount() const { return m_curves->graphCount(); }

void ClusterPanel::setBusy(bool busy) {
    m_cluster->setEnabled(!busy);
    m_prune->setEnabled(!busy && m_canPrune);
}

void ClusterPanel::clearGrid() {
    while (QLayoutItem* item = m_grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

void ClusterPanel::setClusters(const QString& caption, const std::vector<ClusterRow>& rows, bool canPrune) {
    m_rows = rows;
    m_canPrune = canPrune;
    clearGrid();
    auto* host = m_grid->parentWidget();
    for (size_t r = 0; r < rows.size(); ++r) {
        auto* name = new QLabel(QStringLiteral("<b>%1</b><br><small>%2</small>").arg(rows[r].name.toHtmlEscaped(), rows[r].caption.toHtmlEscaped()), host);
        name->setMinimumWidth(120);
        m_grid->addWidget(name, int(r), 0);
        const size_t shown = std::min<size_t>(rows[r].patches.size(), kPatchesShown);
        for (size_t p = 0; p < shown; ++p) m_grid->addWidget(patchLabel(rows[r].patches[p], kCell, host), int(r), int(p) + 1);
    }
    m_grid->setColumnStretch(kPatchesShown + 1, 1);
    m_grid->setRowStretch(int(rows.size()), 1);
    m_caption->setText(caption);
    for (Chart* chart : {m_curves, m_iou}) {
        chart->clearGraphs();
        chart->setVisible(false);
    }
    setBusy(false);
}

void ClusterPanel::setSubcircuits(const QString& caption, const std::vector<ClusterCurve>& curves,
                                  const std::vector<ClusterOverlap>& overlaps) {
    m_caption->setText(caption);
    m_curves->clearGraphs();
    std::vector<QString> circuits;
    double top = 0.5;
    for (const auto& c : curves) {
        auto at = std::find(circuits.begin(), circuits.end(), c.circuit);
        if (at == circuits.end()) at = circuits.insert(circuits.end(), c.circuit);
        const bool own = c.circuit == c.evaluatedOn;
        QCPGraph* g = m_curves->addGraph();
        g->setPen(QPen(Chart::seriesColour(int(at - circuits.begin())), 2, own ? Qt::SolidLine : Qt::DashLine));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, own ? 4 : 3));
        g->setName(own ? tr("%1 on its own").arg(c.circuit) : tr("%1 on %2").arg(c.circuit, c.evaluatedOn));
        QVector<double> x, y;
        for (size_t i = 0; i < c.sparsities.size() && i < c.dfnorm.size(); ++i) {
            x.push_back(c.sparsities[i]);
            y.push_back(c.dfnorm[i]);
            top = std::max(top, std::min(c.dfnorm[i], 3.0));
        }
        g->setData(x, y);
    }
    m_curves->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);  // the empty corner: sparse, low
    m_curves->rescaleAxes();
    m_curves->yAxis->setRange(0, top * 1.05);
    m_curves->setVisible(!curves.empty());
    m_curves->replot();

    m_iou->clearGraphs();
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    size_t layers = 0;
    for (size_t i = 0; i < overlaps.size(); ++i) {
        const auto& o = overlaps[i];
        QCPGraph* g = m_iou->addGraph();
        g->setPen(QPen(Chart::seriesColour(int(i)), 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
        g->setName(o.pair);
        QVector<double> x, y;
        for (size_t l = 0; l < o.iou.size(); ++l)
            if (std::isfinite(o.iou[l])) x.push_back(double(l + 1)), y.push_back(o.iou[l]);
        g->setData(x, y);
        if (o.layers.size() > layers) {
            layers = o.layers.size();
            ticker->clear();
            const int cut = commonPrefix(o.layers);
            for (size_t l = 0; l < layers; ++l) ticker->addTick(double(l + 1), o.layers[l].mid(cut));
        }
    }
    m_iou->xAxis->setTicker(ticker);
    m_iou->xAxis->setTickLabelRotation(layers > 4 ? 40 : 0);
    m_iou->xAxis->setRange(0.5, double(layers) + 0.5);
    m_iou->yAxis->setRange(0, 1.05);
    m_iou->setVisible(!overlaps.empty());
    m_iou->replot();
    setBusy(false);
}

}  // namespace cx::widgets
