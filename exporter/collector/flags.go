package collector

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/alecthomas/kingpin/v2"
)

// renamedFlags are the collector flags' old names, from before they took
// node_exporter's form --collector.<collector>.<flag>. Each old name stays
// a hidden alias of its new one in 0.1.0, to be removed in 0.2.0.
var renamedFlags = []string{
	"process.binary-budget", "process.host-binary-budget", "process.classes-file", "process.runtime-binaries",
	"file.classes-file",
	"network.cluster-cidr", "network.service-cidr", "network.node-cidr", "network.api-server", "network.ports",
	"network.novelty-window", "network.novelty-budget",
	"integrity.watch", "integrity.state-file", "integrity.interval", "integrity.rebaseline", "integrity.accept",
}

// oldNamesUsed are the old names given on the command line, for the
// warning. Filled while kingpin parses, read after.
var oldNamesUsed []string

func init() {
	if err := addOldNames(kingpin.CommandLine, renamedFlags, func(old string) {
		if !slices.Contains(oldNamesUsed, old) {
			oldNamesUsed = append(oldNamesUsed, old)
		}
	}); err != nil {
		panic(err) // a renamed flag without its new name: caught by every test of the package
	}
}

// OldFlagNamesUsed lists the old flag names given on the command line, by
// their old names; their new names are "collector." and the old name.
func OldFlagNamesUsed() []string {
	return slices.Clone(oldNamesUsed)
}

// addOldNames registers each old name as a hidden flag that sets the value
// of --collector.<old name>, and calls used when it is given.
func addOldNames(app *kingpin.Application, old []string, used func(old string)) error {
	for _, name := range old {
		current := app.GetFlag("collector." + name)
		if current == nil {
			return fmt.Errorf("renamed flag --%s: no flag --collector.%s", name, name)
		}
		newName := "collector." + name
		app.Flag(name, "Old name of --"+newName+" (removed in 0.2.0).").Hidden().
			PreAction(func(ctx *kingpin.ParseContext) error {
				for _, e := range ctx.Elements {
					if f, ok := e.Clause.(*kingpin.FlagClause); ok && f.Model().Name == newName {
						return fmt.Errorf("--%s is the old name of --%s: give one of them", name, newName)
					}
				}
				used(name)
				return nil
			}).
			SetValue(&oldName{Value: current.Model().Value})
	}
	return nil
}

// oldName is the value of an old flag name: the new name's value, so that
// both set the same variable.
type oldName struct {
	kingpin.Value
	given bool
}

// Set sets the new name's value. A repeatable flag that was not given got
// its defaults before any flag was set; values given by the old name
// replace them, as values given by the new name do.
func (o *oldName) Set(s string) error {
	if !o.given {
		o.given = true
		if o.IsCumulative() {
			if g, ok := o.Value.(kingpin.Getter); ok {
				if v := reflect.ValueOf(g.Get()); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Slice {
					v.Elem().SetZero()
				}
			}
		}
	}
	return o.Value.Set(s)
}

// IsBoolFlag makes the old name of a boolean flag boolean too (--name and
// --no-name, without a value).
func (o *oldName) IsBoolFlag() bool {
	b, ok := o.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// IsCumulative makes the old name of a repeatable flag repeatable too.
func (o *oldName) IsCumulative() bool {
	c, ok := o.Value.(interface{ IsCumulative() bool })
	return ok && c.IsCumulative()
}
