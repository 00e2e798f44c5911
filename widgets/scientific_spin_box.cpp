#include "widgets/scientific_spin_box.h"

#include <cmath>

#include <QLocale>
#include <QRegularExpression>

namespace cx::widgets {

ScientificSpinBox::ScientificSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    // Qt rounds a spin box's value to its decimals: enough for 1e-12 to keep 3 digits.
    setDecimals(15);
    setKeyboardTracking(false);
}

QString ScientificSpinBox::textFromValue(double value) const { return QString::number(value, 'g', 6); }

bool ScientificSpinBox::parse(const QString& text, double& value) const {
    bool ok = false;
    value = text.trimmed().toDouble(&ok);  // "1e-5", "0.001": the C locale, as textFromValue writes
    if (!ok) value = locale().toDouble(text.trimmed(), &ok);
    return ok && std::isfinite(value);
}

double ScientificSpinBox::valueFromText(const QString& text) const {
    double value = 0;
    return parse(text, value) ? value : this->value();
}

QValidator::State ScientificSpinBox::validate(QString& text, int&) const {
    double value = 0;
    if (parse(text, value)) return value >= minimum() && value <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
    // On the way to a number: "", "1e", "1e-", "0.", "-".
    static const QRegularExpression partial(QStringLiteral("^\\s*[-+]?[0-9]*[.,]?[0-9]*([eE][-+]?[0-9]*)?\\s*$"));
    return partial.match(text).hasMatch() ? QValidator::Intermediate : QValidator::Invalid;
}

void ScientificSpinBox::stepBy(int steps) {
    const double start = value() > 0 ? value() : std::max(minimum(), 1e-8);
    setValue(std::clamp(start * std::pow(10.0, 0.5 * steps), minimum(), maximum()));
}

}  // namespace cx::widgets
