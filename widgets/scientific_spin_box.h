#pragma once
// A spin box for values over many decades (an L0 lambda of 1e-8 or 0.01): shows and accepts
// scientific notation, and steps by half a decade instead of a fixed amount.
#include <QDoubleSpinBox>

namespace cx::widgets {

class ScientificSpinBox : public QDoubleSpinBox {
    Q_OBJECT
public:
    explicit ScientificSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& pos) const override;
    void stepBy(int steps) override;

private:
    bool parse(const QString& text, double& value) const;
};

}  // namespace cx::widgets
