import Foundation
import Hogwild

extension Train {
    /// Protects the run's inputs from its outputs and creates the temporary files of `--save`,
    /// `--report` and `--report-html` now, before the data is loaded: an output that cannot be
    /// written, or would replace an input or another output, fails in a moment rather than after
    /// training. `--resume M --save M` is allowed (the model is read whole before training, and
    /// checkpointed runs continue that way); any other output over the resumed model is refused.
    func prepareOutputs() throws {
        var inputs = try dataOptions.source().inputFiles
        inputs += featureFiles(featureOptions.itemFeatures, builtIn: "genres", role: "item feature file")
        inputs += featureFiles(featureOptions.userFeatures, builtIn: "demographics", role: "user feature file")
        if let resume, !(save.map { OutputSafety.sameFile($0, resume) } ?? false) {
            inputs.append((resume, "model to resume"))
        }
        try prepare(outputs: [save, report, reportHTML], protecting: inputs)
    }

    private func featureFiles(_ spec: String?, builtIn: String, role: String) -> [(path: String, role: String)] {
        guard let spec, spec != builtIn else { return [] }
        return [(spec, role)]
    }
}

/// Protects `inputs` from every later write of this process and creates the temporary files of
/// `outputs` (`nil`: a flag not given) now, so a command fails on a bad output path before its
/// work rather than after it (see `OutputSafety`).
func prepare(outputs: [String?], protecting inputs: [(path: String, role: String)] = []) throws {
    OutputSafety.protectInputs(inputs)
    try OutputSafety.prepare(outputs.compactMap { $0 })
}
