// Prints one plain closing line, "tests: N passed, N failed[, N skipped]", after jest's own summary,
// so CI logs can be read the same way whatever the test runner.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const extra = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests + results.numRuntimeErrorTestSuites} failed${extra}\n`,
    );
  }
}
module.exports = SummaryReporter;
