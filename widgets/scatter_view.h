#pragma once
// Activation scatter: the target's value in the original model (x) against its value in the
// circuit (y), one dot per image position, with the y = x line a perfect circuit would sit on.
#include <vector>

#include <QWidget>

class QLabel;

namespace cx::widgets {

class Chart;

class ScatterView : public QWidget {
    Q_OBJECT
public:
    explicit ScatterView(QWidget* parent = nullptr);

    void setData(const std::vector<float>& original, const std::vector<float>& circuit, double pearson, const QString& title);
    void clear();
    int pointCount() const { return int(m_original.size()); }
    Chart* chart() const { return m_chart; }
    QString caption() const;
    QString csv() const;

private:
    Chart* m_chart = nullptr;
    QLabel* m_caption = nullptr;
    std::vector<float> m_original, m_circuit;
};

}  // namespace cx::widgets
