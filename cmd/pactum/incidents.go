// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newIncidentsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "incidents", Aliases: []string{"incident"},
		Short: "Report incidents on allocations, follow their deadlines, triage and close them",
		Long: `An allocation's holder (a member of the holding organization) or an operator of
the hosting site reports an incident: a security breach, misuse of the machine,
a serious incident of an AI system (AI Act Art. 3(49)), or another. pactum
computes the deadlines it triggers, each with its legal basis: Art. 73 for a
serious incident (2 days for critical infrastructure or a widespread
infringement, 10 for death, 15 otherwise); Art. 55(1)(c) when the model named
has systemic risk (10^25 FLOP reached, or held); the scheme's terms of access
by severity. An access manager triages and closes it with its outcome; each
change is audit-logged and notified.

Only the holding organization, the hosting site, access managers and auditors
see incidents; for anyone else they do not exist (exit status 3).`}
	cmd.AddCommand(newIncidentsReportCmd(e), newIncidentsListCmd(e), newIncidentsShowCmd(e), newIncidentsTriageCmd(e),
		newIncidentsCloseCmd(e))
	return cmd
}

// parseWhen reads a time given as RFC 3339, "YYYY-MM-DD HH:MM" (UTC) or
// "YYYY-MM-DD" (midnight UTC).
func parseWhen(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("--%s %q: use RFC 3339 (2026-12-01T10:00:00Z), \"2026-12-01 10:00\" (UTC) or 2026-12-01", flag, s)}
}

func newIncidentsReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report --allocation ID --kind KIND --severity SEVERITY --title TEXT --description TEXT",
		Short: "Report an incident on an allocation (its holder's members, its hosting site's operators)",
		Long: `Report an incident on an allocation you hold or host. --kind is one of security,
misuse, serious_incident, other; --severity one of low, moderate, high,
critical. A serious incident also needs --harm: death, health,
critical_infrastructure, fundamental_rights, property_environment or
widespread_infringement (AI Act Art. 3(49), 3(61)). --model names a model of
the allocation's organization the incident involves. --occurred is when it
happened (default now; at most a day ahead). The description may span lines:
give it with --description or read it from a file (--description-file, "-"
for standard input). The access managers are notified.`,
		Example: `  pactum incidents report --allocation 0190f3c2-... --kind security --severity high \
      --title "Leaked SSH key" --description "A member's key was published on a public repository." \
      --occurred "2026-12-01 10:00"
  pactum incidents report --allocation 0190f3c2-... --kind serious_incident --harm health --severity critical \
      --model 0190f3d4-... --title "Unsafe medical advice" --description-file report.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			alloc, _ := f.GetString("allocation")
			kind, _ := f.GetString("kind")
			sev, _ := f.GetString("severity")
			title, _ := f.GetString("title")
			desc, _ := f.GetString("description")
			if path, _ := f.GetString("description-file"); path != "" {
				if f.Changed("description") {
					return usageError{fmt.Errorf("give --description or --description-file, not both")}
				}
				text, err := readTextFile(e, path)
				if err != nil {
					return err
				}
				desc = text
			}
			// Left out, the server takes the time of the report: the
			// request stays the same when re-run with --idempotency-key.
			var when *time.Time
			if s, _ := f.GetString("occurred"); s != "" {
				t, err := parseWhen("occurred", s)
				if err != nil {
					return err
				}
				when = &t
			}
			in := client.IncidentInput{AllocationId: alloc, Kind: client.IncidentKind(kind), Severity: client.IncidentSeverity(sev),
				Title: title, Description: desc, OccurredAt: when, ModelId: optString(cmd, "model")}
			if h := optString(cmd, "harm"); h != nil {
				in.Harm = (*client.IncidentHarm)(h)
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.ReportIncidentResponse, error) {
				return c.ReportIncidentWithResponse(ctx, &client.ReportIncidentParams{}, in)
			}, func(resp *client.ReportIncidentResponse) error {
				return printIncident(e, resp.JSON201)
			})
		},
	}
	f := cmd.Flags()
	f.String("allocation", "", "the allocation's ID (required)")
	f.String("kind", "", "security, misuse, serious_incident or other (required)")
	f.String("severity", "", "low, moderate, high or critical (required)")
	f.String("harm", "", "for a serious incident: death, health, critical_infrastructure, fundamental_rights, property_environment, widespread_infringement")
	f.String("model", "", "the ID of the organization's model involved, if any")
	f.String("title", "", "a short title (required)")
	f.String("description", "", "what happened")
	f.String("description-file", "", "read the description from this file (- for standard input)")
	f.String("occurred", "", "when it happened: RFC 3339, \"YYYY-MM-DD HH:MM\" (UTC) or YYYY-MM-DD (default now)")
	for _, name := range []string{"allocation", "kind", "severity", "title"} {
		_ = cmd.MarkFlagRequired(name)
	}
	jsonFlag(cmd)
	return cmd
}

func newIncidentsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the incidents you may see (--overdue: past their deadline and not closed)",
		Example: `  pactum incidents list --allocation 0190f3c2-...
  pactum incidents list --overdue`,
		Args: cobra.NoArgs}
	cmd.Flags().String("allocation", "", "only this allocation's")
	cmd.Flags().String("org", "", "only this organization's")
	cmd.Flags().String("call", "", "only this call's")
	cmd.Flags().String("state", "", "only incidents in this state: reported, triaged or closed")
	cmd.Flags().Bool("overdue", false, "only incidents past their earliest deadline and not closed, earliest due first")
	return listCmd(e, cmd, listing[*client.ListIncidentsResponse, client.Incident]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListIncidentsResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListIncidentsParams{AllocationId: optString(cmd, "allocation"), OrganizationId: optString(cmd, "org"),
				CallId: optString(cmd, "call"), Limit: l, Offset: o}
			if s := optString(cmd, "state"); s != nil {
				p.State = (*client.IncidentState)(s)
			}
			if ov, _ := cmd.Flags().GetBool("overdue"); ov {
				p.Overdue = &ov
			}
			return c.ListIncidentsWithResponse(ctx, p)
		},
		page: func(r *client.ListIncidentsResponse) ([]client.Incident, int) {
			return r.JSON200.Items, r.JSON200.Total
		},
		cols: columns[client.Incident]{
			header: []string{"ID", "ALLOCATION", "KIND", "SEVERITY", "STATE", "DUE", "TITLE"},
			row: func(i client.Incident) []string {
				due := fmtTime(i.DueAt)
				if i.Overdue {
					due += " OVERDUE"
				}
				return []string{i.Id, i.AllocationId, string(i.Kind), string(i.Severity), string(i.State), due, i.Title}
			},
		},
		paged: true,
	})
}

func newIncidentsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show an incident with its deadlines and handling", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetIncidentWithResponse), func(resp *client.GetIncidentResponse) error {
		return printIncident(e, resp.JSON200)
	})
}

func newIncidentsTriageCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "triage ID --note TEXT [--severity SEVERITY]",
		Short: "Triage a reported incident (access managers)",
		Long: `Triage a reported incident with a note; --severity revises its severity, which
recomputes its deadlines. The reporter is told. The same triage again changes
nothing; another, or triaging a closed incident, is a conflict (exit status 5).`,
		Example: `  pactum incidents triage 0190f3c2-... --note "Confirmed with the site; key revoked." --severity critical`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			note, _ := cmd.Flags().GetString("note")
			in := client.TriageInput{Note: note}
			if s := optString(cmd, "severity"); s != nil {
				in.Severity = (*client.IncidentSeverity)(s)
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.TriageIncidentResponse, error) {
				return c.TriageIncidentWithResponse(ctx, args[0], &client.TriageIncidentParams{}, in)
			}, func(resp *client.TriageIncidentResponse) error {
				return printIncident(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("note", "", "what the triage found (required)")
	cmd.Flags().String("severity", "", "the revised severity: low, moderate, high or critical")
	_ = cmd.MarkFlagRequired("note")
	jsonFlag(cmd)
	return cmd
}

func newIncidentsCloseCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "close ID --outcome TEXT",
		Short: "Close a triaged incident with its outcome (access managers)",
		Long: `Close a triaged incident, recording what came of it. The reporter is told.
Closing again shows the first closing unchanged; closing an incident not yet
triaged is a conflict (exit status 5).`,
		Example: `  pactum incidents close 0190f3c2-... --outcome "Key revoked; access logs reviewed, no misuse found."`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outcome, _ := cmd.Flags().GetString("outcome")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CloseIncidentResponse, error) {
				return c.CloseIncidentWithResponse(ctx, args[0], &client.CloseIncidentParams{}, client.CloseIncidentInput{Outcome: outcome})
			}, func(resp *client.CloseIncidentResponse) error {
				return printIncident(e, resp.JSON200)
			})
		},
	}
	cmd.Flags().String("outcome", "", "what came of the incident (required)")
	_ = cmd.MarkFlagRequired("outcome")
	jsonFlag(cmd)
	return cmd
}

// printIncident prints an incident, its deadlines and its handling.
func printIncident(e *env, i *client.Incident) error {
	kind := string(i.Kind)
	if i.Harm != nil {
		kind += " (" + string(*i.Harm) + ")"
	}
	model := str(i.Model)
	if i.SystemicRisk {
		model += " — systemic risk: AI Act Art. 55(1)(c) applies"
	}
	due := fmtTime(i.DueAt)
	if i.Overdue {
		due += " — OVERDUE"
	}
	kv := [][2]string{{"ID", i.Id}, {"Title", i.Title}, {"Allocation", i.AllocationId}, {"Organization", i.OrganizationId},
		{"Call", i.CallId}, {"Model", model}, {"Kind", kind}, {"Severity", string(i.Severity)}, {"State", string(i.State)},
		{"Occurred", fmtTime(i.OccurredAt)}, {"Reported", fmtTime(i.ReportedAt) + " by " + i.ReportedBy + " (" + string(i.ReporterRole) + ")"},
		{"Due", due}}
	if i.TriagedAt != nil {
		kv = append(kv, [2]string{"Triaged", fmtTimePtr(i.TriagedAt) + " by " + str(i.TriagedBy) + ": " + str(i.TriageNote)})
	}
	if i.ClosedAt != nil {
		kv = append(kv, [2]string{"Closed", fmtTimePtr(i.ClosedAt) + " by " + str(i.ClosedBy) + ": " + str(i.Outcome)})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nDeadlines:")
	for _, d := range i.Deadlines {
		fmt.Fprintf(e.stdout, "  %s  %s (%d days from %s)\n    %s\n", fmtTime(d.DueAt), escape(d.Basis, false), d.Days,
			strings.TrimSuffix(string(d.From), "_at"), escape(d.Duty, false))
	}
	fmt.Fprintf(e.stdout, "\nDescription:\n%s\n", escape(i.Description, true))
	if i.State == client.Reported {
		fmt.Fprintf(e.stdout, "\nTriage (access managers): pactum incidents triage %s --note TEXT\n", i.Id)
	}
	return nil
}
