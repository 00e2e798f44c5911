#include "widgets/curve_view.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolTip>
#include <QVBoxLayout>

#include "engine/pruning/curve_csv.h"
#include "widgets/chart.h"

namespace cx::widgets {
namespace {


}  // namespace

CurveView::CurveView(QWidget* parent) : QWidget(parent) {
    m_chart = new Chart(this);
    m_chart->xAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    m_chart->xAxis->setTicker(ticker);
    m_chart->xAxis->setNumberFormat(QStringLiteral("gb"));
    m_chart->xAxis->setLabel(tr("fraction of relevant kernels kept"));
    m_chart->xAxis->setRange(0.0008, 1.0);
    // Curves rise to the right and fall to the left, so the lower right corner is free for the legend.
    m_chart->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_chart->legend->setFont(small);
    m_chart->setMouseTracking(true);

    m_metricBox = new QComboBox(this);
    m_metricBox->addItem(tr("|Pearson r|"));
    m_metricBox->addItem(tr("\u0394f-norm"));
    m_metricBox->setToolTip(tr("|Pearson r| between original and circuit activations, or the relative change of the "
                               "target at each image's original maximum (delta-f-norm, lower is better)"));
    auto* exportButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export\u2026"), this);
    exportButton->setToolTip(tr("Save the curves as PNG, SVG, PDF or CSV"));
    m_caption = new QLabel(tr("Preservation curves: run a sweep"), this);
    m_caption->setMinimumWidth(60);
    m_caption->setWordWrap(true);
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_metricBox);
    bar->addStretch(1);
    bar->addWidget(exportButton);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_caption);
    layout->addLayout(bar);
    layout->addWidget(m_chart, 1);

    connect(m_metricBox, &QComboBox::currentIndexChanged, this, [this](int i) { setMetric(Metric(i)); });
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportChartWithDialog(this, m_chart, QStringLiteral("preservation.png"), csv()); });
    connect(m_chart, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const int i = pointNear(event->position());
        if (i < 0) return QToolTip::hideText();
        QToolTip::showText(event->globalPosition().toPoint(), describe(i), m_chart);
    });
    connect(m_chart, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        const int i = pointNear(event->position());
        if (i >= 0 && event->button() == Qt::LeftButton)
            Q_EMIT pointClicked(m_points[size_t(i)].criterion, m_points[size_t(i)].sparsity);
    });
    rebuild();
}

void CurveView::clear() {
    m_points.clear();
    m_currentSparsity = -1;
    rebuild();
}

void CurveView::addPoints(const std::vector<engine::CurvePoint>& points) {
    for (const auto& p : points) {
        auto same = std::find_if(m_points.begin(), m_points.end(),
                                 [&](const auto& q) { return q.criterion == p.criterion && q.sparsity == p.sparsity; });
        if (same != m_points.end()) *same = p;
        else m_points.push_back(p);
    }
    rebuild();
}

void CurveView::setMetric(Metric metric) {
    m_metric = metric;
    if (m_metricBox->currentIndex() != int(metric)) m_metricBox->setCurrentIndex(int(metric));
    rebuild();
}

void CurveView::setCurrent(engine::Criterion criterion, double sparsity) {
    m_currentCriterion = criterion;
    m_currentSparsity = sparsity;
    rebuild();
}

void CurveView::setCaption(const QString& caption) { m_caption->setText(caption); }

int CurveView::criterionIndex(engine::Criterion criterion) {
    const auto& order = engine::allCriteria();
    return int(std::find(order.begin(), order.end(), criterion) - order.begin());
}

QString CurveView::criterionLabel(engine::Criterion criterion) {
    switch (criterion) {
        case engine::Criterion::ActGrad: return tr("ActGrad");
        case engine::Criterion::Snip: return tr("SNIP");
        case engine::Criterion::Force: return tr("FORCE");
        case engine::Criterion::Magnitude: return tr("Magnitude");
        case engine::Criterion::Random: return tr("Random");
    }
    return {};
}

double CurveView::valueOf(const engine::CurvePoint& p) const { return m_metric == Metric::Pearson ? p.pearson : p.dfnorm; }

std::vector<engine::Criterion> CurveView::criteria() const {
    std::vector<engine::Criterion> shown;
    for (const auto& p : m_points)
        if (std::find(shown.begin(), shown.end(), p.criterion) == shown.end()) shown.push_back(p.criterion);
    std::sort(shown.begin(), shown.end(), [](auto a, auto b) { return criterionIndex(a) < criterionIndex(b); });
    return shown;
}

void CurveView::rebuild() {
    m_chart->clearGraphs();
    const QColor text = palette().color(QPalette::WindowText);
    double yMax = 0;
    for (const engine::Criterion criterion : criteria()) {
        std::vector<const engine::CurvePoint*> line;
        for (const auto& p : m_points)
            if (p.criterion == criterion) line.push_back(&p);
        std::sort(line.begin(), line.end(), [](auto* a, auto* b) { return a->sparsity < b->sparsity; });
        const QColor colour = Chart::seriesColour(criterionIndex(criterion));
        QCPGraph* curve = m_chart->addGraph();
        curve->setName(criterionLabel(criterion));
        curve->setPen(QPen(colour, 2));
        curve->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 6));
        QCPGraph* effective = m_chart->addGraph();  // where each circuit really is once dead ends go
        effective->setPen(Qt::NoPen);
        effective->setLineStyle(QCPGraph::lsNone);
        effective->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(colour, 1.2), Qt::NoBrush, 8));
        effective->removeFromLegend();
        for (const auto* p : line) {
            curve->addData(p->sparsity, valueOf(*p));
            if (engine::effectiveSparsity(*p) > 0) effective->addData(engine::effectiveSparsity(*p), valueOf(*p));
            yMax = std::max(yMax, valueOf(*p));
        }
    }
    for (const auto& p : m_points)
        if (p.criterion == m_currentCriterion && std::abs(p.sparsity - m_currentSparsity) < 1e-12) {
            QCPGraph* ring = m_chart->addGraph();
            ring->removeFromLegend();
            ring->setLineStyle(QCPGraph::lsNone);
            ring->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(text, 2), Qt::NoBrush, 14));
            ring->addData(p.sparsity, valueOf(p));
        }
    m_chart->yAxis->setLabel(m_metric == Metric::Pearson ? tr("|Pearson r|") : tr("\u0394f-norm"));
    m_chart->yAxis->setRange(0, m_metric == Metric::Pearson ? 1.05 : std::max(1.0, yMax * 1.05));
    m_chart->legend->setVisible(!m_points.empty());
    m_chart->replot();
}

int CurveView::pointNear(const QPointF& pixel, double radius) const {
    int best = -1;
    double bestDistance = radius;
    for (size_t i = 0; i < m_points.size(); ++i) {
        const QPointF at = pixelOf(int(i));
        const double d = std::hypot(at.x() - pixel.x(), at.y() - pixel.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = int(i);
        }
    }
    return best;
}

QPointF CurveView::pixelOf(int index) const {
    const auto& p = m_points[size_t(index)];
    return {m_chart->xAxis->coordToPixel(p.sparsity), m_chart->yAxis->coordToPixel(valueOf(p))};
}

QString CurveView::describe(int index) const {
    const auto& p = m_points[size_t(index)];
    return tr("<b>%1</b>, %2% kept (%3 of %4 kernels; %5 effective)<br>|Pearson r| = %6, \u0394f-norm = %7%8<br>"
              "<i>Click to open this circuit</i>")
        .arg(criterionLabel(p.criterion))
        .arg(100.0 * p.sparsity, 0, 'g', 3)
        .arg(p.kept)
        .arg(p.relevant)
        .arg(p.effectiveKept)
        .arg(p.pearson, 0, 'f', 3)
        .arg(p.dfnorm, 0, 'f', 3)
        .arg(p.disconnected ? tr(" \u2014 disconnected") : QString());
}

QString CurveView::csv() const { return QString::fromStdString(engine::curveCsv(m_points)); }

}  // namespace cx::widgets
