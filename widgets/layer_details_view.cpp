#include "widgets/layer_details_view.h"

#include <QFileInfo>

#include "widgets/layer_tree_view.h"

namespace cx::widgets {
namespace {

QString row(const QString& key, const QString& value) {
    return QStringLiteral("<tr><td style='padding-right:16px'><b>%1</b></td><td>%2</td></tr>").arg(key.toHtmlEscaped(), value);
}

QString list(const std::vector<int64_t>& v) {
    QStringList parts;
    for (auto x : v) parts << QString::number(x);
    return parts.join(QStringLiteral(", "));
}

}  // namespace

LayerDetailsView::LayerDetailsView(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    setFrameShape(QFrame::NoFrame);
    clearModel();
}

void LayerDetailsView::clearModel() {
    m_hasModel = false;
    m_layer = -1;
    setHtml(tr("<h2>No model open</h2><p>Open a TorchScript model (<b>File \u2192 Open</b>, Ctrl+O), drop a "
               "<tt>.pt</tt> file on this window, or open the built-in demo model (<b>File \u2192 Open Demo Model</b>).</p>"));
}

void LayerDetailsView::setModel(const engine::ModelSummary& summary) {
    m_summary = summary;
    m_hasModel = true;
    showLayer(-1);
}

void LayerDetailsView::showLayer(int layer) {
    if (!m_hasModel) return;
    m_layer = layer >= 0 && layer < int(m_summary.layers.size()) ? layer : -1;
    setHtml(m_layer < 0 ? overviewHtml() : layerHtml(m_layer));
}

QString LayerDetailsView::overviewHtml() const {
    int conv = 0, linear = 0, dead = 0;
    for (const auto& l : m_summary.layers) {
        (l.isConv() ? conv : linear)++;
        if (!l.reachable) ++dead;
    }
    QString html = QStringLiteral("<h2>%1</h2><table>").arg(QFileInfo(QString::fromStdString(m_summary.path)).fileName().toHtmlEscaped());
    html += row(tr("File"), QString::fromStdString(m_summary.path).toHtmlEscaped());
    html += row(tr("SHA-256"), QStringLiteral("<tt>%1</tt>").arg(QString::fromStdString(m_summary.sha256)));
    html += row(tr("Parameters"), QLocale().toString(qlonglong(m_summary.parameterCount)));
    html += row(tr("Layers"), tr("%1 convolution, %2 linear").arg(conv).arg(linear));
    if (dead) html += row(tr("Dead layers"), tr("%1 (output never reaches the model output)").arg(dead));
    html += QStringLiteral("</table>");
    if (!m_summary.notes.empty()) {
        html += tr("<h3>Analysis notes</h3><ul>");
        for (const auto& n : m_summary.notes) html += QStringLiteral("<li>%1</li>").arg(QString::fromStdString(n).toHtmlEscaped());
        html += QStringLiteral("</ul>");
    }
    html += tr("<p>Select a layer in the Model panel to see its geometry and connections.</p>");
    return html;
}

QString LayerDetailsView::layerHtml(int index) const {
    const auto& l = m_summary.layers[size_t(index)];
    QString html = QStringLiteral("<h2>%1</h2><table>").arg(QString::fromStdString(l.name).toHtmlEscaped());
    html += row(tr("Kind"), engine::layerKindName(l.kind));
    html += row(tr("Weight"), QStringLiteral("<tt>%1</tt> %2").arg(QString::fromStdString(l.param).toHtmlEscaped(), shapeText(l.weightShape)));
    html += row(tr("Bias"), l.hasBias() ? QString::fromStdString(l.biasParam).toHtmlEscaped() : tr("none"));
    html += row(tr("Channels"), tr("%1 in \u2192 %2 out").arg(l.inChannels).arg(l.outChannels));
    if (l.isConv()) {
        html += row(tr("Stride"), list(l.stride));
        html += row(tr("Padding"), list(l.padding));
        html += row(tr("Dilation"), list(l.dilation));
        html += row(tr("Groups"), QString::number(l.groups));
    }
    html += row(tr("Reaches output"), l.reachable ? tr("yes") : tr("<b>no</b> (dead branch)"));
    if (l.inControlFlow) html += row(tr("Note"), tr("inside an if/loop block: cannot be probed"));
    html += tr("</table><h3>Input channels from</h3><ul>");
    for (const auto& s : l.inputs) html += QStringLiteral("<li>%1</li>").arg(segmentText(m_summary, s).toHtmlEscaped());
    if (l.inputs.empty()) html += tr("<li>nothing traced (constant input)</li>");
    html += tr("</ul><h3>Output read by</h3><ul>");
    int readers = 0;
    for (size_t j = 0; j < m_summary.layers.size(); ++j)
        for (const auto& s : m_summary.layers[j].inputs)
            if (s.source == index) {
                html += QStringLiteral("<li>%1 (%2)</li>").arg(QString::fromStdString(m_summary.layers[j].name).toHtmlEscaped(), segmentText(m_summary, s).toHtmlEscaped());
                ++readers;
            }
    if (!readers) html += l.reachable ? tr("<li>the model output</li>") : tr("<li>nothing</li>");
    return html + QStringLiteral("</ul>");
}

}  // namespace cx::widgets
