// SPDX-License-Identifier: GPL-2.0-or-later
// A config file, read and applied as the guard does: any text may be
// rejected, but only as a configuration error (exit 78) that names the file
// and line ("FILE:LINE: ..."), never with a crash or another exception.
// check-config's collecting parser must find a problem exactly when the
// throwing one throws.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/config_file.hpp"
#include "showguard/settings.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const std::string path = "/etc/showguard/shows/fuzz.conf";
	bool threw = false;
	fuzz::expect_only(ExitCode::config, path + ":", [&] {
		threw = true;
		const Settings settings = parse_config_text(text, path);
		threw = false;
		GuardOptions options;
		apply_settings(settings, options);
	});

	std::vector<std::string> problems;
	(void)parse_config_text(text, path, problems);
	for (const auto &p : problems)
		fuzz::check(p.starts_with(path + ":"), "a problem without FILE:LINE: " + p);
	fuzz::check(threw == !problems.empty(), "the two parsers disagree about whether the text is valid");
	return 0;
}
