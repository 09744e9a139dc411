// Adds entries to a sidecar's lists in freezer.yaml (`freezer trace --write`) by editing
// the text, not by re-emitting the document: yaml-cpp's emitter would drop every comment
// and reflow the layout people chose. Only inserted bytes differ; the rest of the file
// stays byte for byte. Whatever freezer cannot edit safely it refuses, with the lines to
// add by hand.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <freezer/config.hpp>

namespace freezer::config {

// Items to add to sidecars.<name>.<key>.
struct ListAddition {
    std::string key;  // hidden_imports, collect_submodules, data, ...
    // The YAML text of one item each, on one line, valid both inside a flow list and
    // after "- ": "app.services", "{src: app/services.json, dest: app}". yaml_scalar()
    // quotes a value that needs it.
    std::vector<std::string> items;
};

struct EditResult {
    std::string text;  // the whole new file; equal to the input when nothing was added
    // One line per added item, in order: "sidecars.api.hidden_imports: + app.services.upper".
    std::vector<std::string> changes;
};

// The file holds something freezer does not edit (a sidecar in flow style, a list that is
// a scalar, an alias, ...), or the edit did not check out. Nothing was changed; what()
// says why, names file:line:column, and ends with `snippet`, the lines to add by hand.
struct EditError : std::runtime_error {
    EditError(Location where, const std::string& message, std::string snippet);
    Location where;
    std::string snippet;
};

// Adds each item not already in sidecars.<sidecar>.<key> (a scalar compares by its
// string, a map by its content, in any key order) after the list's last item, creating
// the key after the sidecar's last key when it is missing. The result is parsed again and
// must hold the old items followed by the new ones with the rest of the document
// unchanged, or EditError is thrown. Adding items already there changes nothing.
// `file` is only for messages. Throws EditError (also for an unknown sidecar or a file
// that is not valid YAML) and std::invalid_argument for an item that is not one line of
// YAML.
EditResult add_to_sidecar_lists(const std::string& text, const std::string& sidecar,
                                const std::vector<ListAddition>& additions,
                                const std::string& file = "freezer.yaml");

// `value` as a YAML scalar that reads back as `value` both in a flow list and after "- ":
// as it is when plain text does, else double-quoted.
std::string yaml_scalar(const std::string& value);

}  // namespace freezer::config
