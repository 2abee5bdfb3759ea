<?php
// SPDX-License-Identifier: ISC
/*
 * Builds xen-vif-agent's Cacti objects in a scratch Cacti and exports
 * them with Cacti's own export code: the file cacti_host_template_xen_vif_agent.xml
 * beside this script is its output, for import_template.php.
 *
 *   php build_template.php --cacti=/usr/share/cacti/site --output=FILE
 *
 * --cacti names the site directory of a Cacti (1.2) whose database was
 * just loaded from cacti.sql: nothing else may be in it, and the script
 * refuses to run where any of these objects exists.  What it makes:
 *
 *   data queries     Xen VIF - Virtual Network Devices (xen_vif.xml) and
 *                    Xen VIF - VMs (xen_vif_vm.xml)
 *   data templates   Xen VIF - Traffic, Xen VIF - Packets (DERIVE, from
 *                    the 64-bit counters), Xen VM - Period Usage,
 *                    Xen VM - Quota Used (GAUGE)
 *   graph templates  one per data template, each mapped to its data
 *                    query's columns, with suggested titles naming the
 *                    VM (and the vif's device id)
 *   device template  Xen dom0 (xen-vif-agent), with both data queries
 *
 * Every object gets a fixed hash derived from its name here, so that a
 * new export is the same file and importing it again updates the objects
 * instead of adding copies.
 */

$options = getopt('', array('cacti:', 'output:'));
if (empty($options['cacti']) || empty($options['output'])) {
	fwrite(STDERR, "usage: php build_template.php --cacti=SITE_DIR --output=FILE\n");
	exit(2);
}

$cacti_site = rtrim($options['cacti'], '/');
$_SERVER['argv'] = array($_SERVER['argv'][0]);   /* cli_check reads them */
require($cacti_site . '/include/cli_check.php');
require_once($config['base_path'] . '/lib/export.php');

/* ---- helpers --------------------------------------------------------- */

function fail($message) {
	fwrite(STDERR, "build_template.php: $message\n");
	exit(1);
}

/* The fixed hash of an object, from its place in this script. */
function h($key) {
	return md5('xen-vif-agent/cacti/' . $key);
}

function save($row, $table) {
	$id = sql_save($row, $table);
	if (!$id) {
		fail("could not save into $table: " . json_encode($row));
	}
	return $id;
}

function id_by_hash($table, $hash) {
	$id = db_fetch_cell_prepared("SELECT id FROM $table WHERE hash = ?", array($hash));
	if (empty($id)) {
		fail("$table has no row with hash $hash (is this a Cacti loaded from cacti.sql?)");
	}
	return $id;
}

function color($hex) {
	$id = db_fetch_cell_prepared('SELECT id FROM colors WHERE hex = ?', array($hex));
	if (empty($id)) {
		fail("no color $hex");
	}
	return $id;
}

/* Cacti's stock objects that the templates use, by their hashes. */
define('SNMP_INDEXED', id_by_hash('data_input', 'bf566c869ac6443b0c75d1c32b5a350e'));
define('BYTES_TO_BITS', id_by_hash('cdef', '73f95f8b77b5508157d64047342c421e'));
define('GPRINT_NORMAL', id_by_hash('graph_templates_gprint', 'e9c43831e54eca8069317a2ce8c6f751'));
define('GPRINT_EXACT', id_by_hash('graph_templates_gprint', '19414480d6897c8731c7dc6c5310653e'));
define('PROFILE_DEFAULT', db_fetch_cell('SELECT id FROM data_source_profiles ORDER BY `default` DESC, id LIMIT 1'));

/* Consolidation functions and data source types as Cacti numbers them. */
define('CF_AVERAGE', 1);
define('CF_MAX', 3);
define('CF_LAST', 4);
define('DS_GAUGE', 1);
define('DS_DERIVE', 3);

/* A data template fed by an SNMP data query: $sources is
 * {ds name: [type, minimum, maximum]}; returns [id, {ds name: rrd id}]. */
function data_template($key, $name, $title, $sources) {
	$id = save(array('id' => 0, 'hash' => h("data_template/$key"), 'name' => $name), 'data_template');

	$data_id = save(array(
		'id'                       => 0,
		'local_data_template_data_id' => 0,
		'local_data_id'            => 0,
		'data_template_id'         => $id,
		'data_input_id'            => SNMP_INDEXED,
		't_name'                   => '',
		'name'                     => $title,
		'name_cache'               => '',
		'data_source_path'         => '',
		't_active'                 => '',
		'active'                   => 'on',
		't_rrd_step'               => '',
		'rrd_step'                 => db_fetch_cell_prepared('SELECT step FROM data_source_profiles WHERE id = ?', array(PROFILE_DEFAULT)),
		't_data_source_profile_id' => '',
		'data_source_profile_id'   => PROFILE_DEFAULT), 'data_template_data');

	/* The index and the output type come from the data query, per data
	 * source: those three inputs are "per data source" (t_value). */
	$fields = db_fetch_assoc_prepared('SELECT id, type_code FROM data_input_fields
		WHERE data_input_id = ? AND input_output = "in" ORDER BY id', array(SNMP_INDEXED));
	foreach ($fields as $field) {
		$per_source = in_array($field['type_code'], array('index_type', 'index_value', 'output_type'));
		db_execute_prepared('INSERT INTO data_input_data
			(data_input_field_id, data_template_data_id, t_value, value)
			VALUES (?, ?, ?, "")',
			array($field['id'], $data_id, $per_source ? 'on' : ''));
	}

	$rrd = array();
	$heartbeat = db_fetch_cell_prepared('SELECT heartbeat FROM data_source_profiles WHERE id = ?', array(PROFILE_DEFAULT));
	foreach ($sources as $ds => $spec) {
		list($type, $minimum, $maximum) = $spec;
		$rrd[$ds] = save(array(
			'id'                         => 0,
			'hash'                       => h("data_template/$key/$ds"),
			'local_data_template_rrd_id' => 0,
			'local_data_id'              => 0,
			'data_template_id'           => $id,
			't_rrd_maximum'              => '',
			'rrd_maximum'                => $maximum,
			't_rrd_minimum'              => '',
			'rrd_minimum'                => $minimum,
			't_rrd_heartbeat'            => '',
			'rrd_heartbeat'              => $heartbeat,
			't_data_source_type_id'      => '',
			'data_source_type_id'        => $type,
			't_data_source_name'         => '',
			'data_source_name'           => $ds,
			't_data_input_field_id'      => '',
			'data_input_field_id'        => 0), 'data_template_rrd');
	}

	return array($id, $rrd);
}

/* A graph template: $graph overrides Cacti's defaults for the graph;
 * $items are [rrd id or 0, type, color hex or '', CF, text, options];
 * one input per data source, named by $input_names {rrd id: name}. */
function graph_template($key, $name, $graph, $items, $input_names) {
	global $struct_graph, $struct_graph_item;

	$id = save(array('id' => 0, 'hash' => h("graph_template/$key"), 'name' => $name,
		'multiple' => '', 'test_source' => ''), 'graph_templates');

	$row = array('id' => 0, 'local_graph_template_graph_id' => 0, 'local_graph_id' => 0,
		'graph_template_id' => $id, 'title_cache' => '');
	foreach ($struct_graph as $field => $spec) {
		if ($spec['method'] == 'spacer') {
			continue;
		}
		$row[$field] = isset($spec['default']) ? $spec['default'] : '';
		$row["t_$field"] = '';
	}
	/* Cacti's defaults for these come from settings: fix them. */
	$row['image_format_id'] = 1;
	$row['height'] = 150;
	$row['width'] = 600;
	save(array_merge($row, $graph), 'graph_templates_graph');

	$inputs = array();
	$sequence = 0;
	foreach ($items as $item) {
		list($rrd, $type, $hex, $cf, $text) = $item;
		$options = isset($item[5]) ? $item[5] : array();
		$sequence++;

		$row = array('id' => 0, 'hash' => h("graph_template/$key/item/$sequence"),
			'local_graph_template_item_id' => 0, 'local_graph_id' => 0,
			'graph_template_id' => $id);
		foreach ($struct_graph_item as $field => $spec) {
			if ($field == 'data_template_id') {
				continue;
			}
			$row[$field] = isset($spec['default']) ? $spec['default'] : '';
		}
		$row = array_merge($row, array(
			'task_item_id'              => $rrd,
			'color_id'                  => $hex == '' ? 0 : color($hex),
			'alpha'                     => 'FF',
			'graph_type_id'             => $type,
			'line_width'                => $type == GRAPH_ITEM_TYPE_LINE1 ? 1 : ($type == GRAPH_ITEM_TYPE_LINE2 ? 2 : 0),
			'cdef_id'                   => 0,
			'vdef_id'                   => 0,
			'consolidation_function_id' => $cf,
			'text_format'               => $text,
			'value'                     => '',
			'hard_return'               => '',
			'gprint_id'                 => GPRINT_NORMAL,
			'sequence'                  => $sequence), $options);
		$item_id = save($row, 'graph_templates_item');

		if ($rrd) {
			$inputs[$rrd][] = $item_id;
		}
	}

	foreach ($inputs as $rrd => $item_ids) {
		$input_id = save(array('id' => 0, 'hash' => h("graph_template/$key/input/" . $input_names[$rrd]),
			'graph_template_id' => $id, 'name' => $input_names[$rrd],
			'description' => '', 'column_name' => 'task_item_id'), 'graph_template_input');
		foreach ($item_ids as $item_id) {
			db_execute_prepared('INSERT INTO graph_template_input_defs
				(graph_template_input_id, graph_template_item_id) VALUES (?, ?)',
				array($input_id, $item_id));
		}
	}

	return $id;
}

/* Legend items for one data source: the line or area and its figures. */
function legend($rrd, $type, $hex, $text, $figures, $options = array()) {
	$items = array(array($rrd, $type, $hex, CF_AVERAGE, $text, $options));
	$last = count($figures) - 1;
	foreach ($figures as $n => $figure) {
		list($cf, $label) = $figure;
		$items[] = array($rrd, GRAPH_ITEM_TYPE_GPRINT, '', $cf, $label,
			array_merge(array_intersect_key($options, array('cdef_id' => 1, 'gprint_id' => 1)),
				array('hard_return' => $n == $last ? 'on' : '')));
	}
	return $items;
}

/* A data query with its graphs: $graphs are [key, name, graph template,
 * {snmp field: [data template, rrd id]}, graph title, data source name]. */
function data_query($key, $xml, $name, $description, $graphs) {
	$id = save(array('id' => 0, 'hash' => h("data_query/$key"),
		'xml_path' => "<path_cacti>/resource/snmp_queries/$xml", 'name' => $name,
		'description' => $description, 'graph_template_id' => 0,
		'data_input_id' => SNMP_INDEXED), 'snmp_query');

	foreach ($graphs as $graph) {
		list($graph_key, $graph_name, $graph_template, $fields, $title, $ds_name) = $graph;
		$graph_id = save(array('id' => 0, 'hash' => h("data_query/$key/graph/$graph_key"),
			'snmp_query_id' => $id, 'name' => $graph_name,
			'graph_template_id' => $graph_template), 'snmp_query_graph');

		$data_templates = array();
		foreach ($fields as $field => $target) {
			list($data_template, $rrd) = $target;
			db_execute_prepared('INSERT INTO snmp_query_graph_rrd
				(snmp_query_graph_id, data_template_id, data_template_rrd_id, snmp_field_name)
				VALUES (?, ?, ?, ?)', array($graph_id, $data_template, $rrd, $field));
			$data_templates[$data_template] = true;
		}

		save(array('id' => 0, 'hash' => h("data_query/$key/graph/$graph_key/title"),
			'snmp_query_graph_id' => $graph_id, 'sequence' => 1,
			'field_name' => 'title', 'text' => $title), 'snmp_query_graph_sv');

		foreach (array_keys($data_templates) as $data_template) {
			save(array('id' => 0, 'hash' => h("data_query/$key/graph/$graph_key/name/$data_template"),
				'snmp_query_graph_id' => $graph_id, 'data_template_id' => $data_template,
				'sequence' => 1, 'field_name' => 'name', 'text' => $ds_name), 'snmp_query_graph_rrd_sv');
		}
	}

	return $id;
}

/* ---- refuse to touch a Cacti that has any of it ---------------------- */

foreach (array('data_template', 'graph_templates', 'snmp_query', 'host_template') as $table) {
	$found = db_fetch_cell("SELECT COUNT(*) FROM $table WHERE name LIKE 'Xen %'");
	if ($found) {
		fail("$table already holds objects named Xen ...: use a scratch Cacti");
	}
}

/* ---- the vif table ----------------------------------------------------- */

list($dt_traffic, $traffic) = data_template('vif_traffic', 'Xen VIF - Traffic',
	'|host_description| - Xen VIF Traffic', array(
	'traffic_in'  => array(DS_DERIVE, 0, 'U'),
	'traffic_out' => array(DS_DERIVE, 0, 'U')));

list($dt_packets, $packets) = data_template('vif_packets', 'Xen VIF - Packets',
	'|host_description| - Xen VIF Packets', array(
	'pkts_in'      => array(DS_DERIVE, 0, 'U'),
	'pkts_out'     => array(DS_DERIVE, 0, 'U'),
	'discards_in'  => array(DS_DERIVE, 0, 'U'),
	'discards_out' => array(DS_DERIVE, 0, 'U'),
	'errors_in'    => array(DS_DERIVE, 0, 'U'),
	'errors_out'   => array(DS_DERIVE, 0, 'U')));

$figures = array(array(CF_LAST, 'Current:'), array(CF_AVERAGE, 'Average:'), array(CF_MAX, 'Maximum:'));
$bits = array('cdef_id' => BYTES_TO_BITS);

$gt_traffic = graph_template('vif_traffic', 'Xen VIF - Traffic (bits/sec)',
	array('title' => '|host_description| - Xen VIF Traffic', 'vertical_label' => 'bits per second'),
	array_merge(
		legend($traffic['traffic_in'], GRAPH_ITEM_TYPE_AREA, '00CF00', 'In (sent by the VM) ', $figures, $bits),
		legend($traffic['traffic_out'], GRAPH_ITEM_TYPE_LINE1, '002A97', 'Out (to the VM)     ', $figures, $bits)),
	array($traffic['traffic_in'] => 'Inbound Data Source', $traffic['traffic_out'] => 'Outbound Data Source'));

$gt_packets = graph_template('vif_packets', 'Xen VIF - Packets (packets/sec)',
	array('title' => '|host_description| - Xen VIF Packets', 'vertical_label' => 'packets per second'),
	array_merge(
		legend($packets['pkts_in'], GRAPH_ITEM_TYPE_AREA, '00CF00', 'Packets In   ', $figures),
		legend($packets['pkts_out'], GRAPH_ITEM_TYPE_LINE1, '002A97', 'Packets Out  ', $figures),
		legend($packets['discards_in'], GRAPH_ITEM_TYPE_LINE1, 'FFAB00', 'Discards In  ', $figures),
		legend($packets['discards_out'], GRAPH_ITEM_TYPE_LINE1, 'EA8F00', 'Discards Out ', $figures),
		legend($packets['errors_in'], GRAPH_ITEM_TYPE_LINE1, 'F51D30', 'Errors In    ', $figures),
		legend($packets['errors_out'], GRAPH_ITEM_TYPE_LINE1, '8F005C', 'Errors Out   ', $figures)),
	array($packets['pkts_in'] => 'Packets In Data Source', $packets['pkts_out'] => 'Packets Out Data Source',
		$packets['discards_in'] => 'Discards In Data Source', $packets['discards_out'] => 'Discards Out Data Source',
		$packets['errors_in'] => 'Errors In Data Source', $packets['errors_out'] => 'Errors Out Data Source'));

$vif = '|query_vmName| vif |query_vifDevice|';
$dq_vif = data_query('vif', 'xen_vif.xml', 'Xen VIF - Virtual Network Devices',
	'The virtual network devices of the Xen VMs on a dom0 (XEN-VIF-MIB xenVifTable, xen-vif-agent)',
	array(
		array('traffic', 'Traffic (bits/sec, 64-bit counters)', $gt_traffic, array(
			'vifInOctets'  => array($dt_traffic, $traffic['traffic_in']),
			'vifOutOctets' => array($dt_traffic, $traffic['traffic_out'])),
			"|host_description| - Traffic - $vif", "|host_description| - Traffic - $vif"),
		array('packets', 'Packets, Discards and Errors', $gt_packets, array(
			'vifInPkts'      => array($dt_packets, $packets['pkts_in']),
			'vifOutPkts'     => array($dt_packets, $packets['pkts_out']),
			'vifInDiscards'  => array($dt_packets, $packets['discards_in']),
			'vifOutDiscards' => array($dt_packets, $packets['discards_out']),
			'vifInErrors'    => array($dt_packets, $packets['errors_in']),
			'vifOutErrors'   => array($dt_packets, $packets['errors_out'])),
			"|host_description| - Packets - $vif", "|host_description| - Packets - $vif")));

/* ---- the VM table ------------------------------------------------------ */

list($dt_usage, $usage) = data_template('vm_usage', 'Xen VM - Period Usage',
	'|host_description| - Xen VM Period Usage', array(
	'period_in'  => array(DS_GAUGE, 0, 'U'),
	'period_out' => array(DS_GAUGE, 0, 'U'),
	'quota'      => array(DS_GAUGE, 0, 'U')));

list($dt_quota, $quota) = data_template('vm_quota', 'Xen VM - Quota Used',
	'|host_description| - Xen VM Quota Used', array(
	'quota_used' => array(DS_GAUGE, 0, 'U')));

$now = array(array(CF_LAST, 'Current:'));
$gt_usage = graph_template('vm_usage', 'Xen VM - Period Usage (bytes)',
	array('title' => '|host_description| - Xen VM Period Usage', 'vertical_label' => 'bytes this period'),
	array_merge(
		legend($usage['period_in'], GRAPH_ITEM_TYPE_AREA, '00CF00', 'Sent by the VM     ', $now),
		legend($usage['period_out'], GRAPH_ITEM_TYPE_LINE2, '002A97', 'Received by the VM ', $now),
		legend($usage['quota'], GRAPH_ITEM_TYPE_LINE2, 'FF0000', 'Quota (0: none)    ', $now)),
	array($usage['period_in'] => 'Period In Data Source', $usage['period_out'] => 'Period Out Data Source',
		$usage['quota'] => 'Quota Data Source'));

$gt_quota = graph_template('vm_quota', 'Xen VM - Quota Used (percent)',
	array('title' => '|host_description| - Xen VM Quota Used', 'vertical_label' => 'percent of the quota',
		'upper_limit' => '100', 'lower_limit' => '0', 'base_value' => 1000),
	array_merge(
		legend($quota['quota_used'], GRAPH_ITEM_TYPE_AREA, '4668E4', 'Quota Used ', array(
			array(CF_LAST, 'Current:'), array(CF_MAX, 'Maximum:')), array('gprint_id' => GPRINT_EXACT)),
		array(array(0, GRAPH_ITEM_TYPE_HRULE, 'FF0000', CF_AVERAGE, 'Quota',
			array('value' => '100', 'hard_return' => 'on')))),
	array($quota['quota_used'] => 'Quota Used Data Source'));

$vm = '|query_vmName|';
$dq_vm = data_query('vm', 'xen_vif_vm.xml', 'Xen VIF - VMs',
	'The Xen VMs on a dom0: traffic of the accounting period and quota (XEN-VIF-MIB xenVifVmTable, xen-vif-agent)',
	array(
		array('usage', 'Period Usage (bytes)', $gt_usage, array(
			'vmPeriodInOctets'  => array($dt_usage, $usage['period_in']),
			'vmPeriodOutOctets' => array($dt_usage, $usage['period_out']),
			'vmQuotaOctets'     => array($dt_usage, $usage['quota'])),
			"|host_description| - Period Usage - $vm", "|host_description| - Period Usage - $vm"),
		array('quota', 'Quota Used (percent)', $gt_quota, array(
			'vmQuotaUsedPercent' => array($dt_quota, $quota['quota_used'])),
			"|host_description| - Quota Used - $vm", "|host_description| - Quota Used - $vm")));

/* ---- the device template ----------------------------------------------- */

$host_template = save(array('id' => 0, 'hash' => h('host_template/dom0'),
	'name' => 'Xen dom0 (xen-vif-agent)', 'class' => ''), 'host_template');
foreach (array($dq_vif, $dq_vm) as $dq) {
	db_execute_prepared('INSERT INTO host_template_snmp_query (host_template_id, snmp_query_id)
		VALUES (?, ?)', array($host_template, $dq));
}

/* ---- export ------------------------------------------------------------ */

$xml = get_item_xml('host_template', $host_template, true);
if (!empty($export_errors)) {
	fail("Cacti's export reported $export_errors error(s)");
}
if (file_put_contents($options['output'], $xml . "\n") === false) {
	fail('cannot write ' . $options['output']);
}
print 'exported device template ' . $host_template . ' to ' . $options['output'] . PHP_EOL;
